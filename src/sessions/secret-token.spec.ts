import { hashToken, newSecretToken, sameHash } from './secret-token.js';

describe('secret tokens', () => {
  it('are 32 random bytes in base64url, different every time', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => newSecretToken()));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^[\w-]{43}$/);
  });

  it('hash to a stable digest that does not contain the token', () => {
    const token = newSecretToken();
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toContain(token);
    expect(hashToken(token)).not.toBe(hashToken(newSecretToken()));
  });

  it('compare hashes in constant time and tell different lengths apart', () => {
    const hash = hashToken('a');
    expect(sameHash(hash, hashToken('a'))).toBe(true);
    expect(sameHash(hash, hashToken('b'))).toBe(false);
    expect(sameHash(hash, 'short')).toBe(false);
  });
});
