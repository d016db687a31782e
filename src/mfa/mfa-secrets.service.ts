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
  private readonly recoveryKey: Buffer;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.recoveryKey = createHmac('sha256', config.jwtSecret).update('unichat recovery codes').digest();
  }

  sealTotpSecret(userId: number, secret: string): string {
    return this.box(userId).seal(secret);
  }

  /** Null when it no longer opens (the master secret was replaced, or the row was copied from another user). */
  openTotpSecret(userId: number, sealed: string): string | null {
    try {
      return this.box(userId).openText(sealed);
    } catch {
      return null;
    }
  }

  /** One purpose per user: a sealed secret copied to another user's row does not open there. */
  private box(userId: number): SecretBox {
    return new SecretBox(this.config.jwtSecret, `totp secret of user ${userId}`);
  }

  recoveryCodeHash(userId: number, code: string): string {
    return createHmac('sha256', this.recoveryKey)
      .update(`${userId}:${normalRecoveryCode(code)}`)
      .digest('base64url');
  }
}
