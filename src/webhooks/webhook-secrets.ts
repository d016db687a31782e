import { createHmac, randomBytes } from 'node:crypto';
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

/**
 * Signs a delivery as Standard Webhooks defines it: `v1,` and the base64 HMAC-SHA256, under the
 * secret's bytes, of `<webhook-id>.<timestamp in seconds>.<body>`. Node's HMAC, not the
 * `standardwebhooks` package's JavaScript one: a fifth of the CPU on every try (receivers verify
 * with the package, and the tests do).
 */
export class WebhookSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
    if (this.key.length === 0) throw new Error('an empty webhook secret');
  }

  sign(messageId: string, sentAt: Date, body: Buffer): string {
    const signed = `${messageId}.${Math.floor(sentAt.getTime() / 1000)}.`;
    return `v1,${createHmac('sha256', this.key).update(signed).update(body).digest('base64')}`;
  }
}
