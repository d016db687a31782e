import { randomBytes } from 'node:crypto';
import { SealedBox } from '../common/sealed-box.js';
import type { AppConfig } from '../config/app-config.js';

/** `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries read a secret. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Endpoint secrets are read back to sign, so they are sealed (AES-256-GCM) under the master
 * secret, never stored in the clear.
 */
export function webhookSecretBox(config: AppConfig): SealedBox {
  return new SealedBox(config.jwtSecret, 'webhook endpoint secrets');
}

/** What a sealed secret is bound to: its endpoint (a secret copied to another row does not open). */
export const secretContext = (endpointId: number) => `webhook endpoint ${endpointId}`;
