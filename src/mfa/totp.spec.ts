import { generate } from 'otplib';
import {
  isTotpCode,
  newRecoveryCodes,
  newTotpSecret,
  normalRecoveryCode,
  otpauthUri,
  totpStep,
} from './totp.js';

describe('TOTP codes', () => {
  const secret = newTotpSecret();
  const now = Date.UTC(2026, 11, 6, 12, 0, 10);
  const step = Math.floor(now / 30_000);
  const codeAt = (offsetSteps: number) =>
    generate({ secret, epoch: Math.floor(now / 1000) + offsetSteps * 30 });

  it('accepts the code of this step and of one step either side, naming the step', async () => {
    expect(await totpStep(secret, await codeAt(0), now, null)).toBe(step);
    expect(await totpStep(secret, await codeAt(-1), now, null)).toBe(step - 1);
    expect(await totpStep(secret, await codeAt(1), now, null)).toBe(step + 1);
    expect(await totpStep(secret, (await codeAt(0)).replace(/^(\d{3})/, '$1 '), now, null)).toBe(step);
  });

  it('refuses codes two steps away, of a step not after the last one accepted, and malformed ones', async () => {
    expect(await totpStep(secret, await codeAt(2), now, null)).toBeNull();
    expect(await totpStep(secret, await codeAt(-2), now, null)).toBeNull();
    expect(await totpStep(secret, await codeAt(0), now, step)).toBeNull();
    expect(await totpStep(secret, await codeAt(1), now, step)).toBe(step + 1);
    expect(await totpStep(secret, '12345', now, null)).toBeNull();
    expect(await totpStep(secret, 'abcdef', now, null)).toBeNull();
  });

  it('makes base32 secrets of 20 bytes and an otpauth URI that apps read', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri(secret, 'ann@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.searchParams.get('secret')).toBe(secret);
  });

  it('tells app codes from recovery codes, and reads recovery codes however typed', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) {
      expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      expect(isTotpCode(code)).toBe(false);
    }
    expect(isTotpCode('123 456')).toBe(true);
    expect(normalRecoveryCode(' ABCDE-fghjk ')).toBe('abcdefghjk');
  });
});
