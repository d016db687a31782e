import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '../common/secret-box.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { normalRecoveryCode } from './totp.js';

/**
 * How second-factor secrets are kept: TOTP secrets sealed under the master secret (they must be
 * read back to check a code), recovery codes as HMACs under a key derived from it (short codes:
 * a plain hash of a dump could be searched through).
 */
@Injectable()
export class MfaSecrets {
  private readonly box: SecretBox;
  private readonly recoveryKey: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.box = new SecretBox(config.jwtSecret, 'totp secret');
    this.recoveryKey = createHmac('sha256', config.jwtSecret).update('unichat recovery codes').digest();
  }

  sealTotpSecret(userId: number, secret: string): string {
    return this.box.seal(secret, `user:${userId}`);
  }

  /** Null when it no longer opens (the master secret was replaced): only recovery codes work then. */
  openTotpSecret(userId: number, sealed: string): string | null {
    return this.box.open(sealed, `user:${userId}`);
  }

  recoveryCodeHash(userId: number, code: string): string {
    return createHmac('sha256', this.recoveryKey)
      .update(`${userId}:${normalRecoveryCode(code)}`)
      .digest('base64url');
  }
}
