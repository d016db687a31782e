import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import {
  createTestEnvironment,
  createUser,
  meWith,
  startApp,
  waitForMail,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { startApnsEmulator, type ApnsEmulator } from './support/apns-emulator.js';
import { qrStream } from './support/friends.js';
import { phoneOf } from './support/phone.js';
import { appCode, secondStep, turnOnTotp as turnOn, wrongCode } from './support/totp.js';
import { waitFor } from './support/wait.js';

/** The password step: answers the mfa_token of `mfa_required`. */
async function passwordStep(t: TestApp, user: TestUser): Promise<string> {
  const answer = await t
    .http()
    .post('/api/v1/auth/login')
    .send({ email: user.email, password: user.password })
    .expect(401);
  expect(answer.body.error.code).toBe('mfa_required');
  return answer.body.error.mfa_token as string;
}

/** A login at `path` with the password (or `password`) and a code of the second factor, in one request. */
function withCode(t: TestApp, path: string, user: TestUser, code: string, password = user.password) {
  return t.http().post(path).send({ email: user.email, password, code });
}

async function activityTypes(t: TestApp, user: TestUser): Promise<string[]> {
  const page = await t.http().get('/api/v1/me/activity').set(user.auth).expect(200);
  return (page.body.events as { type: string }[]).map((event) => event.type);
}

describe('two-step login (TOTP)', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    t = await startApp(environment);
  });
  afterAll(async () => {
    await t.close();
    await environment.dispose();
  });

  describe('setting up', () => {
    it('answers a secret, an otpauth URI and its QR code for the right password only', async () => {
      const ann = await createUser(t);
      await t
        .http()
        .post('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({ current_password: 'Wrong-password-1' })
        .expect(400)
        .expect(({ body }) => expect(body.error.code).toBe('invalid_password'));
      // An account with a password needs it, however fresh its session (one without: oidc.e2e-spec).
      await t
        .http()
        .post('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({})
        .expect(400)
        .expect(({ body }) => expect(body.error).toMatchObject({ code: 'invalid_password' }));
      const setup = await t
        .http()
        .post('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({ current_password: ann.password })
        .expect(200);
      expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
      const uri = new URL(setup.body.otpauth_uri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.searchParams.get('secret')).toBe(setup.body.secret);
      expect(uri.searchParams.get('issuer')).toBe('Unichat');
      expect(setup.body.png).toMatch(/^data:image\/png;base64,/);
      // Not on until the first code: the password alone still logs in.
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: ann.email, password: ann.password })
        .expect(200);
      await t.http().get('/api/v1/me/mfa').set(ann.auth).expect(200, { totp: false, recovery_codes_left: 0 });
    });

    it('turns on with the first code, answers 10 recovery codes once, mails the owner and records it', async () => {
      const ann = await createUser(t);
      const setup = await t
        .http()
        .post('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({ current_password: ann.password })
        .expect(200);
      const wrong = wrongCode(await appCode(setup.body.secret));
      await t
        .http()
        .post('/api/v1/me/mfa/totp/confirm')
        .set(ann.auth)
        .send({ code: wrong })
        .expect(400)
        .expect(({ body }) => expect(body.error.code).toBe('invalid_mfa_code'));
      const confirmed = await t
        .http()
        .post('/api/v1/me/mfa/totp/confirm')
        .set(ann.auth)
        .send({ code: await appCode(setup.body.secret) })
        .expect(200);
      const codes = confirmed.body.recovery_codes as string[];
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      await t.http().get('/api/v1/me/mfa').set(ann.auth).expect(200, { totp: true, recovery_codes_left: 10 });
      await waitForMail(t, ann.email, /Two-step login is on/);
      await waitFor(
        async () => (await activityTypes(t, ann)).includes('totp_enabled') || undefined,
        'totp_enabled',
      );
      // A second set-up is refused while it is on.
      await t
        .http()
        .post('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({ current_password: ann.password })
        .expect(400);
    });
  });

  describe('logging in', () => {
    it('refuses an empty or overlong code, mfa_token or password as invalid_params, before any check', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const mfaToken = await passwordStep(t, ann);
      const invalid = async (path: string, body: object, auth = {}) =>
        expect((await t.http().post(path).set(auth).send(body).expect(400)).body.error.code).toBe(
          'invalid_params',
        );
      await invalid('/api/v1/auth/login/mfa', { mfa_token: mfaToken, code: '' });
      await invalid('/api/v1/auth/login/mfa', { mfa_token: mfaToken, code: '1'.repeat(65) });
      await invalid('/api/v1/auth/login/mfa', { mfa_token: '', code: '123456' });
      await invalid('/api/v1/auth/login/mfa', { mfa_token: 'x'.repeat(201), code: '123456' });
      await invalid('/api/v1/me/mfa/recovery-codes', { code: '' }, ann.auth);
      await invalid('/api/v1/me/mfa/totp', { current_password: '' }, ann.auth);
      await invalid('/api/v1/me/mfa/totp', { current_password: 'x'.repeat(1001) }, ann.auth);
      // None of them was a try: the mfa_token is still good.
      await secondStep(t, mfaToken, await appCode(secret, 1)).expect(200);
    });

    it('asks for a code after the right password, then logs in with a code of the app', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const mfaToken = await passwordStep(t, ann);
      expect(mfaToken.length).toBeGreaterThanOrEqual(40);
      const login = await secondStep(t, mfaToken, await appCode(secret, 1)).expect(200);
      expect(login.body.user).toMatchObject({ id: ann.id, email: ann.email });
      await meWith(t, login.body.access_token).expect(200);
      await waitFor(async () => {
        const page = await t.http().get('/api/v1/me/activity').set(ann.auth).expect(200);
        return page.body.events.find(
          (event: { type: string; details: { method?: string } }) =>
            event.type === 'login' && event.details.method === 'totp',
        );
      }, 'a login by totp in the activity');
    });

    it('asks the same on POST /tokens and RPC login, and lets the auth token in without a code', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const tokens = await t
        .http()
        .post('/api/v1/tokens')
        .send({ email: ann.email, password: ann.password })
        .expect(401);
      expect(tokens.body.error).toMatchObject({ code: 'mfa_required', mfa_token: expect.any(String) });
      const rpc = await t
        .http()
        .post('/api/v1/rpc/login')
        .send({ email: ann.email, password: ann.password })
        .expect(401);
      expect(rpc.body.error).toMatchObject({ code: 'mfa_required', mfa_token: expect.any(String) });
      const viaRpc = await t
        .http()
        .post('/api/v1/rpc/login_mfa')
        .send({ mfa_token: rpc.body.error.mfa_token, code: await appCode(secret, 1) })
        .expect(200);
      expect(viaRpc.body.user.id).toBe(ann.id);
      // A session that passed the second factor logs in again by its auth token.
      await t.http().post('/api/v1/auth/login').send({ auth_token: ann.authToken }).expect(200);
      await t.http().post('/api/v1/tokens').send({ auth_token: ann.authToken }).expect(200);
    });

    it('logs in with the code sent with the password, in one request, at every door that takes a password', async () => {
      const ann = await createUser(t);
      const { secret, recoveryCodes } = await turnOn(t, ann);
      const code = await appCode(secret, 1);
      // A wrong password is refused before the code is looked at: the code is not spent.
      const refused = await withCode(t, '/api/v1/auth/login', ann, code, 'not-the-password').expect(401);
      expect(refused.body.error.code).toBe('auth_failed');
      const login = await withCode(t, '/api/v1/auth/login', ann, code).expect(200);
      expect(login.body.user).toMatchObject({ id: ann.id, email: ann.email });
      await meWith(t, login.body.access_token).expect(200);
      // The code is spent, in one request as in two.
      const replayed = await withCode(t, '/api/v1/tokens', ann, code).expect(400);
      expect(replayed.body.error.code).toBe('invalid_mfa_code');
      const token = await withCode(t, '/api/v1/tokens', ann, recoveryCodes[0]).expect(200);
      expect(Object.keys(token.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
      const rpc = await withCode(t, '/api/v1/rpc/login', ann, recoveryCodes[1]).expect(200);
      expect(rpc.body.user.id).toBe(ann.id);
      await t.http().get('/api/v1/me/mfa').set(ann.auth).expect(200, { totp: true, recovery_codes_left: 8 });
    });

    it('counts a wrong code sent with the password as a failed check, and ignores a code where two-step login is off', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const right = await appCode(secret, 1);
      const wrong = wrongCode(right);
      for (let round = 0; round < 5; round += 1) {
        const answer = await withCode(t, '/api/v1/auth/login', ann, wrong).expect(400);
        expect(answer.body.error.code).toBe('invalid_mfa_code');
      }
      const locked = await withCode(t, '/api/v1/auth/login', ann, right).expect(429);
      expect(locked.body.error.retry_after).toBeGreaterThan(0);

      const bob = await createUser(t);
      const plain = await withCode(t, '/api/v1/auth/login', bob, '123456').expect(200);
      expect(plain.body.user.id).toBe(bob.id);
      const invalid = async (body: object) =>
        expect((await t.http().post('/api/v1/auth/login').send(body).expect(400)).body.error.code).toBe(
          'invalid_params',
        );
      await invalid({ auth_token: bob.authToken, code: '123456' });
      await invalid({ email: bob.email, password: bob.password, code: '' });
      await invalid({ email: bob.email, password: bob.password, code: '1'.repeat(65) });
    });

    it('logs a browser in by a QR code that a session of the user approved, with no code asked', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const code = (await t.http().post('/api/v1/auth/qr').expect(201)).body as {
        id: string;
        key: string;
        check: string;
      };
      const browser = await qrStream(t, code);
      try {
        await t
          .http()
          .post(`/api/v1/auth/qr/${code.id}/approve`)
          .set(ann.auth)
          .send({ key: code.key, check: code.check })
          .expect(200);
        const { data } = await browser.next<{
          user: { id: number; auth_token: string };
          access_token: string;
        }>('qr_login');
        expect(data.user.id).toBe(ann.id);
        const me = await meWith(t, data.access_token).expect(200);
        expect(me.body.user.id).toBe(ann.id);
        // The browser's own session came from one that passed the second factor: its auth token logs in.
        const again = await t.http().post('/api/v1/auth/login').send({ auth_token: data.user.auth_token });
        expect(again.status).toBe(200);
        expect(again.body).not.toHaveProperty('error');
        // The password still asks for a code.
        await secondStep(t, await passwordStep(t, ann), await appCode(secret, 1)).expect(200);
      } finally {
        browser.close();
      }
    });

    it('accepts a code once: the code that turned it on, a code used to log in, a used mfa_token', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      // The code that confirmed the app is spent.
      const first = await passwordStep(t, ann);
      await secondStep(t, first, await appCode(secret))
        .expect(400)
        .expect(({ body }) => expect(body.error.code).toBe('invalid_mfa_code'));
      const next = await appCode(secret, 1);
      await secondStep(t, first, next).expect(200);
      // The mfa_token is spent, and so is the code, with a fresh mfa_token too.
      await secondStep(t, first, await appCode(secret, 1))
        .expect(400)
        .expect(({ body }) => expect(body.error.code).toBe('invalid_token'));
      const second = await passwordStep(t, ann);
      await secondStep(t, second, next)
        .expect(400)
        .expect(({ body }) => expect(body.error.code).toBe('invalid_mfa_code'));
    });

    it('opens one session for two requests at once with one code', async () => {
      const ann = await createUser(t);
      const { secret, recoveryCodes } = await turnOn(t, ann);
      const byApp = await passwordStep(t, ann);
      const fresh = await appCode(secret, 1);
      const apps = await Promise.all([secondStep(t, byApp, fresh), secondStep(t, byApp, fresh)]);
      expect(apps.map((answer) => answer.status).sort()).toEqual([200, 400]);
      const [one, other] = [await passwordStep(t, ann), await passwordStep(t, ann)];
      const recovery = await Promise.all([
        secondStep(t, one, recoveryCodes[0]),
        secondStep(t, other, recoveryCodes[0]),
      ]);
      expect(recovery.map((answer) => answer.status).sort()).toEqual([200, 400]);
    });

    it('logs in once with each recovery code, and tells the owner each time', async () => {
      const ann = await createUser(t);
      const { recoveryCodes } = await turnOn(t, ann);
      const login = await secondStep(t, await passwordStep(t, ann), recoveryCodes[3].toUpperCase()).expect(
        200,
      );
      expect(login.body.user.id).toBe(ann.id);
      await waitForMail(t, ann.email, /A recovery code was used/);
      await t.http().get('/api/v1/me/mfa').set(ann.auth).expect(200, { totp: true, recovery_codes_left: 9 });
      await secondStep(t, await passwordStep(t, ann), recoveryCodes[3])
        .expect(400)
        .expect(({ body }) => expect(body.error.code).toBe('invalid_mfa_code'));
      await waitFor(
        async () => (await activityTypes(t, ann)).includes('recovery_code_used') || undefined,
        'recovery_code_used in the activity',
      );
    });

    it('checks no more than 5 of 25 wrong codes sent at once, then answers please_wait even to the right code', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const mfaToken = await passwordStep(t, ann);
      const right = await appCode(secret, 1);
      const wrong = wrongCode(right);
      const answers = await Promise.all(Array.from({ length: 25 }, () => secondStep(t, mfaToken, wrong)));
      const codes = answers.map((answer) => answer.body.error.code as string);
      expect(codes.filter((code) => code === 'invalid_mfa_code').length).toBeLessThanOrEqual(5);
      expect(codes.filter((code) => code === 'please_wait').length).toBeGreaterThanOrEqual(20);
      expect(codes.every((code) => code === 'invalid_mfa_code' || code === 'please_wait')).toBe(true);
      const locked = await secondStep(t, mfaToken, right).expect(429);
      expect(locked.body.error.retry_after).toBeGreaterThan(0);
      // The right password does not lift it either.
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: ann.email, password: ann.password })
        .expect(429);
    });

    it('does not let a right password clear the wrong codes before it', async () => {
      const ann = await createUser(t);
      const { secret } = await turnOn(t, ann);
      const right = await appCode(secret, 1);
      const wrong = wrongCode(right);
      for (let round = 0; round < 4; round += 1) {
        await secondStep(t, await passwordStep(t, ann), wrong).expect(400);
      }
      // A right password between the guesses answered mfa_required each time; the fifth guess is
      // still the last one checked.
      const token = await passwordStep(t, ann);
      await secondStep(t, token, wrong).expect(400);
      await secondStep(t, token, right).expect(429);
    });
  });

  describe('turning off and renewing', () => {
    it('turns off with a code: the password alone logs in again, the owner hears of it', async () => {
      const ann = await createUser(t);
      const { secret, recoveryCodes } = await turnOn(t, ann);
      const wrong = wrongCode(await appCode(secret, 1));
      await t.http().delete('/api/v1/me/mfa/totp').set(ann.auth).send({ code: wrong }).expect(400);
      await t
        .http()
        .delete('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({ code: await appCode(secret, 1) })
        .expect(200, {});
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: ann.email, password: ann.password })
        .expect(200);
      await waitForMail(t, ann.email, /Two-step login is off/);
      // Its recovery codes went with it.
      await t.http().delete('/api/v1/me/mfa/totp').set(ann.auth).send({ code: recoveryCodes[0] }).expect(404);
      await waitFor(
        async () => (await activityTypes(t, ann)).includes('totp_disabled') || undefined,
        'totp_disabled',
      );
    });

    it('renews the recovery codes: the old ones stop working, the new ones work', async () => {
      const ann = await createUser(t);
      const { secret, recoveryCodes } = await turnOn(t, ann);
      const renewed = await t
        .http()
        .post('/api/v1/me/mfa/recovery-codes')
        .set(ann.auth)
        .send({ code: await appCode(secret, 1) })
        .expect(200);
      expect(renewed.body.recovery_codes).toHaveLength(10);
      await secondStep(t, await passwordStep(t, ann), recoveryCodes[0]).expect(400);
      await secondStep(t, await passwordStep(t, ann), renewed.body.recovery_codes[0]).expect(200);
    });
  });

  describe('what the service keeps', () => {
    it('holds neither the secret nor the recovery codes in clear, and exports only whether it is on', async () => {
      const ann = await createUser(t);
      const { secret, recoveryCodes } = await turnOn(t, ann);
      const database = t.app.get(DataSource);
      const dump = JSON.stringify([
        await database.query('SELECT * FROM mfa_totp'),
        await database.query('SELECT * FROM mfa_recovery_codes'),
        await database.query('SELECT * FROM mfa_challenges'),
      ]);
      expect(dump).toContain(String(ann.id));
      expect(dump).not.toContain(secret);
      for (const code of recoveryCodes) {
        expect(dump).not.toContain(code);
        expect(dump).not.toContain(code.replace('-', ''));
      }
      if (!environment.schema) {
        const files = ['unichat.sqlite', 'unichat.sqlite-wal'].map((file) => join(environment.dataDir, file));
        const bytes = Buffer.concat(
          await Promise.all(files.map((file) => readFile(file).catch(() => Buffer.alloc(0)))),
        );
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
        expect(bytes.includes(Buffer.from(recoveryCodes[0]))).toBe(false);
      }
      const exported = await t.http().get('/api/v1/me/export').set(ann.auth).expect(200);
      expect(exported.body.second_factor).toEqual({ totp: true, recovery_codes_left: 10 });
      expect(JSON.stringify(exported.body)).not.toContain(secret);
    });

    it('removes the second factor with the account', async () => {
      const ann = await createUser(t);
      await turnOn(t, ann);
      await passwordStep(t, ann);
      await t.http().delete('/api/v1/me').set(ann.auth).send({ current_password: ann.password }).expect(200);
      const database = t.app.get(DataSource);
      for (const table of ['mfa_totp', 'mfa_recovery_codes', 'mfa_challenges']) {
        const rows = (await database.query(`SELECT user_id FROM ${table}`)) as { user_id: number }[];
        expect([table, rows.filter((row) => Number(row.user_id) === ann.id)]).toEqual([table, []]);
      }
    });
  });
});

describe("two-step login told to the owner's phone", () => {
  let apns: ApnsEmulator;
  let t: TestApp;
  beforeAll(async () => {
    apns = await startApnsEmulator();
    t = await startApp(undefined, apns.vars);
  });
  afterAll(async () => {
    await t.close();
    await apns.close();
  });

  it('pushes when it is turned on, when a recovery code is used, and when it is turned off', async () => {
    const ann = await createUser(t);
    const { token: phone, events } = await phoneOf(t, ann, apns);
    const { secret, recoveryCodes } = await turnOn(t, ann);
    expect(await events(1)).toEqual(['mfa_enabled']);
    await secondStep(t, await passwordStep(t, ann), recoveryCodes[0]).expect(200);
    // The new login is told too.
    expect((await events(3)).sort()).toEqual(['mfa_enabled', 'new_login', 'recovery_code_used']);
    const used = apns.pushesTo(phone).find((push) => push.payload.unichat?.event === 'recovery_code_used');
    expect(used?.payload.aps?.alert?.body).toMatch(/9 left/);
    await t
      .http()
      .delete('/api/v1/me/mfa/totp')
      .set(ann.auth)
      .send({ code: await appCode(secret, 1) })
      .expect(200);
    expect((await events(4)).filter((event) => event === 'mfa_disabled')).toHaveLength(1);
  });
});

// Two instances of one deployment need the shared database and Redis; without them the same
// story runs on one instance.
describe(
  SEVERAL_INSTANCES
    ? 'two-step login across two instances'
    : 'two-step login on one instance (two need DATABASE_URL and REDIS_URL)',
  () => {
    const { a: one, b: other } = startDeployment();

    it('turned off on one instance, is off on the other at once', async () => {
      const ann = await createUser(one);
      const { secret } = await turnOn(one, ann);
      await passwordStep(other, ann);
      await one
        .http()
        .delete('/api/v1/me/mfa/totp')
        .set(ann.auth)
        .send({ code: await appCode(secret, 1) })
        .expect(200);
      await other
        .http()
        .post('/api/v1/auth/login')
        .send({ email: ann.email, password: ann.password })
        .expect(200);
    });

    it('accepts a code on one instance once: the other refuses it at once', async () => {
      const ann = await createUser(one);
      const { secret } = await turnOn(one, ann);
      const code = await appCode(secret, 1);
      await secondStep(one, await passwordStep(one, ann), code).expect(200);
      await secondStep(other, await passwordStep(other, ann), code).expect(400);
    });
  },
);
