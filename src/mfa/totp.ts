import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';

type CryptoPlugin = NonNullable<Parameters<typeof verify>[0]['crypto']>;

/**
 * HMAC-SHA-1 from Node's OpenSSL rather than otplib's default pure-JavaScript one: a code check
 * (three steps) then costs a few microseconds instead of most of a millisecond.
 */
const NODE_CRYPTO: CryptoPlugin = {
  name: 'node',
  algorithms: ['sha1'],
  hmac(algorithm, key, data) {
    if (!/^sha-?_?1$/i.test(algorithm)) throw new Error(`unsupported algorithm ${algorithm}`);
    return new Uint8Array(createHmac('sha1', key).update(data).digest());
  },
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  constantTimeEqual(a, b) {
    const left = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a);
    const right = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  },
};

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
/** One step either side: a phone's clock a little off, or a code typed as it changed. */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;

export const RECOVERY_CODE_COUNT = 10;
/** Letters and digits that cannot be misread for one another (no 0/o, 1/l/i). */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A new shared secret: 20 random bytes in base32, as authenticator apps expect. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20, crypto: NODE_CRYPTO });
}

/** The `otpauth://totp/...` URI an authenticator app scans. */
export function otpauthUri(secret: string, accountName: string): string {
  return generateURI({ issuer: 'Unichat', label: accountName, secret });
}

/** Whether `code` looks like a TOTP code (six digits, spaces allowed) rather than a recovery code. */
export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ''));
}

/**
 * The time step `code` is right for at `nowMs` (±1 step), if that step is later than `afterStep`;
 * null otherwise. The caller records the step so the code is never accepted again.
 */
export async function totpStep(
  secret: string,
  code: string,
  nowMs: number,
  afterStep: number | null,
): Promise<number | null> {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = await verify({
    secret,
    token,
    crypto: NODE_CRYPTO,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** Ten new recovery codes, shown once: `xxxxx-xxxxx`, about 49 bits each. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
    return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
  });
}

/** A recovery code as typed (any case, with or without the dash and spaces), in its stored form. */
export function normalRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
