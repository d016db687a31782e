import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Random tokens handed to users (auth tokens, mail links, QR keys). 32 random bytes are too many
 * to guess, so a plain SHA-256 is enough to make a stored copy useless (no salt or slow hash is
 * needed), and it needs no server key, so tokens survive a restart with a new JWT secret.
 */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
