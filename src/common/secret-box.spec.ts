import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox('a master secret that is long enough', 'totp');

  it('opens what it sealed, for the same context only', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXPJBSWY3DP', 'user:1');
    expect(sealed).not.toContain('JBSWY3DP');
    expect(box.open(sealed, 'user:1')).toBe('JBSWY3DPEHPK3PXPJBSWY3DP');
    expect(box.open(sealed, 'user:2')).toBeNull();
  });

  it('opens nothing sealed for another purpose or master secret, or altered', () => {
    const sealed = box.seal('secret', 'user:1');
    expect(new SecretBox('a master secret that is long enough', 'other').open(sealed, 'user:1')).toBeNull();
    expect(new SecretBox('another master secret, long enough', 'totp').open(sealed, 'user:1')).toBeNull();
    const [version, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    expect(box.open([version, iv, tag, flipped.toString('base64url')].join('.'), 'user:1')).toBeNull();
    expect(box.open('garbage', 'user:1')).toBeNull();
  });

  it('seals the same text differently each time', () => {
    expect(box.seal('same', 'user:1')).not.toBe(box.seal('same', 'user:1'));
  });
});
