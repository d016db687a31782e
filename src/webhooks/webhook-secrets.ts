import { randomBytes } from 'node:crypto';
import { SecretBox } from '../common/secret-box.js';
import type { AppConfig } from '../config/app-config.js';

/** `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries read a secret. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Endpoint secrets are read back to sign, so they are sealed (AES-256-GCM) under the master
 * secret, never stored in the clear. The purpose names the endpoint: a secret copied to another
 * endpoint's row does not open there.
 */
export function webhookSecretBox(config: AppConfig, endpointId: number): SecretBox {
  return new SecretBox(config.jwtSecret, `webhook endpoint ${endpointId} secret`);
}
