import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM under a key derived from the kept master secret (JWT_SECRET) for one purpose, for
 * what the service must read back (a TOTP secret, a signing key, a webhook secret): a database
 * dump holds only ciphertext. The purpose is also the associated data, so a value sealed for one
 * use does not open for another. Sealed text: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly aad: Buffer;

  constructor(masterSecret: string, purpose: string) {
    this.key = createHmac('sha256', masterSecret).update(`unichat secret box: ${purpose}`).digest();
    this.aad = Buffer.from(purpose, 'utf8');
  }

  seal(plain: string | Buffer): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(this.aad);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plain bytes; throws when the text was not sealed by this box (another key or purpose). */
  open(sealed: string): Buffer {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || data === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url')).setAAD(this.aad);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
  }

  openText(sealed: string): string {
    return this.open(sealed).toString('utf8');
  }
}
