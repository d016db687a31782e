import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Secrets the service must read back (signing keys), kept encrypted under the master secret
 * (JWT_SECRET): AES-256-GCM with a key derived for one purpose, so a copy of the database alone
 * opens nothing. `context` (e.g. the row's id) is authenticated too: a sealed value moved to
 * another row does not open.
 */
export class SealedBox {
  private readonly key: Buffer;

  constructor(masterSecret: string, purpose: string) {
    this.key = createHmac('sha256', masterSecret).update(`unichat sealed box: ${purpose}`).digest();
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plaintext: Buffer, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
  }

  /** The plaintext; throws when the value was not sealed by this key for this context. */
  open(sealed: string, context: string): Buffer {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || ciphertext === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  }
}
