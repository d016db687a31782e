import { describe, expect, it } from '@jest/globals';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const secret = 'a master secret of at least thirty-two characters';

  it('opens what it sealed, and the sealed text does not contain the plain text', () => {
    const box = new SecretBox(secret, 'totp');
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.openText(sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses a value sealed for another purpose, under another secret, or altered', () => {
    const sealed = new SecretBox(secret, 'totp').seal('x');
    expect(() => new SecretBox(secret, 'webhook').open(sealed)).toThrow();
    expect(() => new SecretBox(`${secret}!`, 'totp').open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => new SecretBox(secret, 'totp').open(parts.join('.'))).toThrow();
  });
});
