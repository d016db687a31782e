import { generate } from 'otplib';
import type { TestApp, TestUser } from './harness.js';

/** What an authenticator app shows `steps` time steps (30 s each) from now. */
export function appCode(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

/** A code that is not `right` (what a guess that missed sends). */
export function wrongCode(right: string): string {
  return right === '000000' ? '111111' : '000000';
}

/**
 * Turns two-step login on as a user does: password, scan, first code (the current step's, so a
 * login right after takes the next step's). Answers the secret and the recovery codes.
 */
export async function turnOnTotp(
  t: TestApp,
  user: TestUser,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await t
    .http()
    .post('/api/v1/me/mfa/totp')
    .set(user.auth)
    .send({ current_password: user.password })
    .expect(200);
  const confirmed = await t
    .http()
    .post('/api/v1/me/mfa/totp/confirm')
    .set(user.auth)
    .send({ code: await appCode(setup.body.secret) })
    .expect(200);
  return { secret: setup.body.secret, recoveryCodes: confirmed.body.recovery_codes };
}

/** The second step of a login: the `mfa_token` of `mfa_required` and a code (`POST /auth/login/mfa`). */
export function secondStep(t: TestApp, mfaToken: string, code: string) {
  return t.http().post('/api/v1/auth/login/mfa').send({ mfa_token: mfaToken, code });
}
