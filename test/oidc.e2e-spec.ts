import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { EventBus } from '../src/bus/event-bus.service.js';
import { Clock } from '../src/common/clock.service.js';
import { PushService } from '../src/devices/push.service.js';
import { type ApnsEmulator, startApnsEmulator } from './support/apns-emulator.js';
import { createUser, PASSWORD, startApp, uniqueEmail, waitForMail, type TestApp } from './support/harness.js';
import { linkIn } from './support/mails.js';
import { phoneOf } from './support/phone.js';
import { appCode, secondStep, turnOnTotp } from './support/totp.js';
import { browseTo, OpenIdProvider, type ProviderAccount } from './support/openid-provider.js';
import { createTestEnvironment, type TestEnvironment } from './support/harness.js';
import { waitFor } from './support/wait.js';

const CALLBACK = (name: string) => `http://127.0.0.1/api/v1/auth/oidc/${name}/callback`;
const APP_ROOT = 'http://app.test/';

describe('sign in with an OpenID provider', () => {
  let provider: OpenIdProvider;
  let apns: ApnsEmulator;
  let env: TestEnvironment;
  let t: TestApp;
  const apple = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    provider = await OpenIdProvider.start(
      [
        { client_id: 'unichat-web', client_secret: 'web-client-secret', redirect_uri: CALLBACK('test') },
        { client_id: 'com.unichat.web', client_secret: 'apple-registered', redirect_uri: CALLBACK('apple') },
      ],
      { teamId: 'TEAM123456', keyId: 'KEY1234567', publicKey: apple.publicKey, clientId: 'com.unichat.web' },
    );
    apns = await startApnsEmulator();
    env = await createTestEnvironment();
    const keyFile = join(env.dataDir, 'AuthKey_KEY1234567.p8');
    await writeFile(keyFile, apple.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    t = await startApp(env, {
      ...apns.vars,
      // X-Forwarded-For from the loopback "proxy" stands for other client addresses.
      TRUST_PROXY: 'loopback',
      OIDC_PROVIDERS: JSON.stringify([
        {
          name: 'test',
          issuer: provider.issuer,
          client_id: 'unichat-web',
          client_secret: 'web-client-secret',
        },
        {
          name: 'apple',
          issuer: provider.issuer,
          client_id: 'com.unichat.web',
          team_id: 'TEAM123456',
          key_id: 'KEY1234567',
          key_file: keyFile,
        },
      ]),
    });
  });
  afterAll(async () => {
    await t.close();
    await env.dispose();
    await provider.close();
    await apns.close();
  });

  /** The app's callback is at PUBLIC_URL (no port here): the browser reaches it at the test port. */
  const toApp = (url: string) => url.replace('http://127.0.0.1/api/v1/', `${t.url}/api/v1/`);

  /** A person signs in through the browser: start → provider → callback → the application. */
  async function webSignIn(name: string, account: ProviderAccount, visited: string[] = []): Promise<URL> {
    provider.signInAs(account);
    const start = await t.http().get(`/api/v1/auth/oidc/${name}/start`).expect(302);
    return browseTo(start.headers.location as string, APP_ROOT, toApp, visited);
  }

  const exchange = (code: string) => t.http().post('/api/v1/auth/oidc/exchange').send({ login_code: code });
  const sub = () => `sub-${Math.random().toString(36).slice(2)}`;
  const bearer = (login: { body: { access_token: string } }) => ({
    Authorization: `Bearer ${login.body.access_token}`,
  });
  /** Every listener and every push under way has finished. */
  const settled = async () => {
    await t.app.get(EventBus).drain();
    await t.app.get(PushService).idle();
  };

  it('lists the configured providers for the sign-in buttons', async () => {
    const response = await t.http().get('/api/v1/auth/oidc/providers').expect(200);
    expect(response.body).toEqual({ providers: ['test', 'apple'] });
  });

  it('starts the web flow with PKCE (S256), state and nonce, and no token in any URL', async () => {
    const response = await t.http().get('/api/v1/auth/oidc/test/start').expect(302);
    const url = new URL(response.headers.location as string);
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK('test'));
  });

  it('makes a confirmed account on a first web sign-in with a verified address, and signs in to it again', async () => {
    const email = uniqueEmail('oidc');
    const account = { sub: sub(), email, email_verified: true };
    const landed = await webSignIn('test', account);
    expect(landed.origin + landed.pathname).toBe(APP_ROOT);
    expect([...landed.searchParams.keys()]).toEqual(['login_code']);
    const login = await exchange(landed.searchParams.get('login_code')!).expect(200);
    expect(login.body.user.email).toBe(email);
    expect(login.body.user.confirmed_at).not.toBeNull();
    expect(login.body.access_token).toBeTruthy();
    await t.http().get('/api/v1/me').set('Authorization', `Bearer ${login.body.access_token}`).expect(200);

    const again = await webSignIn('test', account);
    const second = await exchange(again.searchParams.get('login_code')!).expect(200);
    expect(second.body.user.id).toBe(login.body.user.id);
    const identities = await t
      .http()
      .get('/api/v1/me/identities')
      .set('Authorization', `Bearer ${second.body.access_token}`)
      .expect(200);
    expect(identities.body.identities).toEqual([
      { id: expect.any(Number), provider: 'test', email, created_at: expect.any(String) },
    ]);
    const exported = await t
      .http()
      .get('/api/v1/me/export')
      .set('Authorization', `Bearer ${second.body.access_token}`)
      .expect(200);
    expect(exported.body.identities).toEqual(identities.body.identities);
  });

  it('refuses a login_code used twice', async () => {
    const landed = await webSignIn('test', { sub: sub(), email: uniqueEmail('twice'), email_verified: true });
    const code = landed.searchParams.get('login_code')!;
    await exchange(code).expect(200);
    const replay = await exchange(code).expect(400);
    expect(replay.body.error.code).toBe('invalid_token');
  });

  it('sends the browser back with an error for a tampered or replayed state, and gives no login', async () => {
    provider.signInAs({ sub: sub(), email: uniqueEmail('state'), email_verified: true });
    const start = await t.http().get('/api/v1/auth/oidc/test/start').expect(302);
    const callback = await browseTo(start.headers.location as string, CALLBACK('test'));
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const refused = await t.http().get(`/api/v1/auth/oidc/test/callback${tampered.search}`).expect(302);
    expect(refused.headers.location).toBe(`${APP_ROOT}?error=oidc_failed`);
    const first = await t.http().get(`/api/v1/auth/oidc/test/callback${callback.search}`).expect(302);
    expect(first.headers.location).toMatch(/\?login_code=[\w-]{43}$/);
    const replayed = await t.http().get(`/api/v1/auth/oidc/test/callback${callback.search}`).expect(302);
    expect(replayed.headers.location).toBe(`${APP_ROOT}?error=oidc_failed`);
  });

  it('does not join an existing account unless both addresses are verified: 409 identity_conflict, then linking', async () => {
    const owner = await createUser(t);
    const account = { sub: sub(), email: owner.email, email_verified: false };
    const landed = await webSignIn('test', account);
    const conflict = await exchange(landed.searchParams.get('login_code')!).expect(409);
    expect(conflict.body.error.code).toBe('identity_conflict');
    expect(conflict.body.error.text).toMatch(/sign in to it.*then link/);

    // Signed in with the password, the owner links the provider by a fresh web sign-in.
    const proof = await webSignIn('test', account);
    const linked = await t
      .http()
      .post('/api/v1/me/identities/test')
      .set(owner.auth)
      .send({ login_code: proof.searchParams.get('login_code') })
      .expect(201);
    expect(linked.body.identity).toMatchObject({ provider: 'test', email: owner.email });
    const again = await webSignIn('test', account);
    const login = await exchange(again.searchParams.get('login_code')!).expect(200);
    expect(login.body.user.id).toBe(owner.id);
  });

  it('joins an account whose confirmed address the provider verified', async () => {
    const owner = await createUser(t);
    const landed = await webSignIn('test', { sub: sub(), email: owner.email, email_verified: 'true' });
    const login = await exchange(landed.searchParams.get('login_code')!).expect(200);
    expect(login.body.user.id).toBe(owner.id);
  });

  it('asks for the second factor of an account that has one on, on the web and the native flow', async () => {
    const owner = await createUser(t);
    const { secret } = await turnOnTotp(t, owner);
    const account = { sub: sub(), email: owner.email, email_verified: true };
    const landed = await webSignIn('test', account);
    const asked = await exchange(landed.searchParams.get('login_code')!).expect(401);
    expect(asked.body.error.code).toBe('mfa_required');
    expect(asked.body).not.toHaveProperty('access_token');
    const login = await secondStep(t, asked.body.error.mfa_token, await appCode(secret, 1)).expect(200);
    expect(login.body.user.id).toBe(owner.id);

    const token = await provider.idToken({ ...account, nonce: 'n-mfa' }, { audience: 'unichat-web' });
    const native = await t
      .http()
      .post('/api/v1/auth/oidc/test/id-token')
      .send({ id_token: token, nonce: 'n-mfa' })
      .expect(401);
    expect(native.body.error.code).toBe('mfa_required');
  });

  it('signs in with Apple: form_post answer, the client secret a JWT signed with the team key, "true" as a string', async () => {
    const before = provider.appleSecretsAccepted.length;
    const email = `${sub()}@privaterelay.appleid.com`;
    const visited: string[] = [];
    const landed = await webSignIn('apple', { sub: sub(), email, email_verified: 'true' }, visited);
    // The browser posted the provider's answer to the callback, which answered the POST.
    expect(visited.at(-1)).toBe(`POST ${t.url}/api/v1/auth/oidc/apple/callback`);
    expect(visited.filter((hop) => hop.includes('/auth/oidc/apple/callback'))).toHaveLength(1);
    const login = await exchange(landed.searchParams.get('login_code')!).expect(200);
    expect(login.body.user.email).toBe(email);
    expect(login.body.user.confirmed_at).not.toBeNull();
    expect(provider.appleSecretsAccepted.length).toBe(before + 1);
  });

  it('asks Apple, which is asked for the name and email, to post its answer back; others answer in the query', async () => {
    const apple = new URL((await t.http().get('/api/v1/auth/oidc/apple/start').expect(302)).headers.location);
    expect(apple.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['name', 'email']));
    expect(apple.searchParams.get('response_mode')).toBe('form_post');
    const other = new URL((await t.http().get('/api/v1/auth/oidc/test/start').expect(302)).headers.location);
    expect(other.searchParams.get('response_mode')).toBeNull();
  });

  it('announces a provider sign-in as any login: in the security activity, and by a new-login push', async () => {
    const owner = await createUser(t);
    await settled(); // the new-login push of the password login is done before the phone exists
    const phone = await phoneOf(t, owner, apns);
    const account = { sub: sub(), email: owner.email, email_verified: true };
    const landed = await webSignIn('test', account);
    await exchange(landed.searchParams.get('login_code')!).expect(200);
    expect(await phone.events(1)).toEqual(['new_login']);
    const entry = await waitFor(async () => {
      const page = await t.http().get('/api/v1/me/activity').set(owner.auth).expect(200);
      return page.body.events.find(
        (event: { type: string; details: { method?: string } }) =>
          event.type === 'login' && event.details.method === 'oidc',
      );
    }, 'a login by oidc in the activity');
    expect(entry.details.session_id).toEqual(expect.any(Number));

    const token = await provider.idToken({ ...account, nonce: 'n-push' }, { audience: 'unichat-web' });
    await t
      .http()
      .post('/api/v1/auth/oidc/test/id-token')
      .send({ id_token: token, nonce: 'n-push' })
      .expect(200);
    expect(await phone.events(2)).toEqual(['new_login', 'new_login']);
  });

  it('counts refused provider sign-ins among the failed logins of the address: after 30, please_wait even for a good one', async () => {
    const from = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const wrongAudience = await provider.idToken(
      { sub: sub(), email: uniqueEmail('limit'), email_verified: true, nonce: 'n' },
      { audience: 'another-app' },
    );
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () =>
        t
          .http()
          .post('/api/v1/auth/oidc/test/id-token')
          .set('X-Forwarded-For', from)
          .send({ id_token: wrongAudience, nonce: 'n' }),
      ),
      ...Array.from({ length: 20 }, (_, n) =>
        t
          .http()
          .post('/api/v1/auth/oidc/exchange')
          .set('X-Forwarded-For', from)
          .send({ login_code: `not-a-code-${n}` }),
      ),
    ]);
    const codes = answers.map((answer) => answer.body.error.code as string);
    expect(codes.filter((code) => code === 'please_wait')).toHaveLength(10);
    expect(codes.filter((code) => code === 'auth_failed' || code === 'invalid_token')).toHaveLength(30);

    const account = { sub: sub(), email: uniqueEmail('limit'), email_verified: true };
    const good = await provider.idToken({ ...account, nonce: 'n-good' }, { audience: 'unichat-web' });
    const refused = await t
      .http()
      .post('/api/v1/auth/oidc/test/id-token')
      .set('X-Forwarded-For', from)
      .send({ id_token: good, nonce: 'n-good' })
      .expect(429);
    expect(refused.body.error).toMatchObject({ code: 'please_wait', retry_after: expect.any(Number) });
    const landed = await webSignIn('test', account);
    await t
      .http()
      .post('/api/v1/auth/oidc/exchange')
      .set('X-Forwarded-For', from)
      .send({ login_code: landed.searchParams.get('login_code') })
      .expect(429);
    // Another address signs the same person in.
    await t
      .http()
      .post('/api/v1/auth/oidc/test/id-token')
      .set('X-Forwarded-For', '203.0.113.9')
      .send({ id_token: good, nonce: 'n-good' })
      .expect(200);
  });

  it('refuses a login_code older than 60 s', async () => {
    const landed = await webSignIn('test', { sub: sub(), email: uniqueEmail('late'), email_verified: true });
    const clock = t.app.get(Clock);
    const late = jest.spyOn(clock, 'now').mockImplementation(() => new Date(Date.now() + 61_000));
    try {
      const refused = await exchange(landed.searchParams.get('login_code')!).expect(400);
      expect(refused.body.error.code).toBe('invalid_token');
    } finally {
      late.mockRestore();
    }
    await exchange(landed.searchParams.get('login_code')!).expect(400);
  });

  describe('linked identities', () => {
    /** The user links the provider's identity with the ID token its SDK gave a phone app. */
    const linkWithToken = async (
      user: { auth: { Authorization: string } },
      account: ProviderAccount,
      status: number,
    ) => {
      const nonce = `n-${sub()}`;
      const idToken = await provider.idToken({ ...account, nonce }, { audience: 'unichat-web' });
      return t
        .http()
        .post('/api/v1/me/identities/test')
        .set(user.auth)
        .send({ id_token: idToken, nonce })
        .expect(status);
    };

    it('links an identity proven by an ID token and its nonce, as a phone app does; a wrong nonce proves nothing', async () => {
      const owner = await createUser(t);
      const account = { sub: sub(), email: uniqueEmail('phone'), email_verified: true };
      const wrong = await provider.idToken({ ...account, nonce: 'n-1' }, { audience: 'unichat-web' });
      const refused = await t
        .http()
        .post('/api/v1/me/identities/test')
        .set(owner.auth)
        .send({ id_token: wrong, nonce: 'n-2' })
        .expect(401);
      expect(refused.body.error.code).toBe('auth_failed');

      const linked = await linkWithToken(owner, account, 201);
      expect(linked.body.identity).toEqual({
        id: expect.any(Number),
        provider: 'test',
        email: account.email,
        created_at: expect.any(String),
      });
      const token = await provider.idToken({ ...account, nonce: 'n-in' }, { audience: 'unichat-web' });
      const login = await t
        .http()
        .post('/api/v1/auth/oidc/test/id-token')
        .send({ id_token: token, nonce: 'n-in' })
        .expect(200);
      expect(login.body.user.id).toBe(owner.id);
    });

    it('refuses to link an identity that signs in to another account: 409 identity_conflict', async () => {
      const account = { sub: sub(), email: uniqueEmail('taken'), email_verified: true };
      await exchange((await webSignIn('test', account)).searchParams.get('login_code')!).expect(200);
      const other = await createUser(t);
      const refused = await linkWithToken(other, account, 409);
      expect(refused.body.error.code).toBe('identity_conflict');
      expect(refused.body.error.text).toMatch(/another Unichat account/);
      const identities = await t.http().get('/api/v1/me/identities').set(other.auth).expect(200);
      expect(identities.body.identities).toEqual([]);
    });

    it('unlinks by the id GET /me/identities lists, or by the provider; never one of another account', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const annsId = (await linkWithToken(ann, { sub: sub(), email: ann.email, email_verified: true }, 201))
        .body.identity.id as number;
      await linkWithToken(bob, { sub: sub(), email: bob.email, email_verified: true }, 201);

      const notHers = await t.http().delete(`/api/v1/me/identities/${annsId}`).set(bob.auth).expect(404);
      expect(notHers.body.error.code).toBe('not_found');
      const notAnId = await t.http().delete('/api/v1/me/identities/0123').set(ann.auth).expect(400);
      expect(notAnId.body.error.code).toBe('invalid_params');

      await t.http().delete(`/api/v1/me/identities/${annsId}`).set(ann.auth).expect(200);
      expect((await t.http().get('/api/v1/me/identities').set(ann.auth).expect(200)).body.identities).toEqual(
        [],
      );
      await t.http().delete(`/api/v1/me/identities/${annsId}`).set(ann.auth).expect(404);

      await t.http().delete('/api/v1/me/identities/test').set(bob.auth).expect(200);
      expect((await t.http().get('/api/v1/me/identities').set(bob.auth).expect(200)).body.identities).toEqual(
        [],
      );
    });
  });

  describe('native flow (an ID token from the SDK)', () => {
    const idTokenLogin = (name: string, body: Record<string, unknown>) =>
      t.http().post(`/api/v1/auth/oidc/${name}/id-token`).send(body);

    it('signs in with a valid ID token carrying the nonce, or its SHA-256 in hex', async () => {
      const email = uniqueEmail('native');
      const subject = sub();
      const token = await provider.idToken(
        { sub: subject, email, email_verified: true, nonce: 'n-0S6_WzA2Mj' },
        { audience: 'unichat-web' },
      );
      const login = await idTokenLogin('test', { id_token: token, nonce: 'n-0S6_WzA2Mj' }).expect(200);
      expect(login.body.user.email).toBe(email);
      const hashed = createHash('sha256').update('raw-nonce-from-the-app').digest('hex');
      const apple = await provider.idToken(
        { sub: subject, email, email_verified: true, nonce: hashed },
        {
          audience: 'unichat-web',
        },
      );
      const again = await idTokenLogin('test', { id_token: apple, nonce: 'raw-nonce-from-the-app' }).expect(
        200,
      );
      expect(again.body.user.id).toBe(login.body.user.id);
    });

    it('refuses a token for another audience, an expired one, a wrong nonce and an altered one', async () => {
      const claims = { sub: sub(), email: uniqueEmail('bad'), email_verified: true, nonce: 'abc' };
      const wrongAudience = await provider.idToken(claims, { audience: 'another-app' });
      const expired = await provider.idToken(claims, {
        audience: 'unichat-web',
        expiresIn: Math.floor(Date.now() / 1000) - 60,
      });
      const good = await provider.idToken(claims, { audience: 'unichat-web' });
      const [head, , signature] = good.split('.');
      const altered = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else', iss: provider.issuer, aud: 'unichat-web', exp: 9999999999 })).toString('base64url')}.${signature}`;
      for (const [token, nonce] of [
        [wrongAudience, 'abc'],
        [expired, 'abc'],
        [good, 'not-the-nonce'],
        [altered, 'abc'],
      ]) {
        const refused = await idTokenLogin('test', { id_token: token, nonce }).expect(401);
        expect(refused.body.error.code).toBe('auth_failed');
      }
    });

    it('answers not_found for a provider that is not configured', async () => {
      const refused = await idTokenLogin('nobody', { id_token: 'x.y.z', nonce: 'n' }).expect(404);
      expect(refused.body.error.code).toBe('not_found');
    });
  });

  describe('an account made by a provider', () => {
    it('keeps its last way to sign in, and can set a password through the reset mail', async () => {
      const email = uniqueEmail('nopass');
      const landed = await webSignIn('test', { sub: sub(), email, email_verified: true });
      const login = await exchange(landed.searchParams.get('login_code')!).expect(200);
      const auth = bearer(login);
      const [identity] = (await t.http().get('/api/v1/me/identities').set(auth).expect(200)).body.identities;
      const refused = await t.http().delete(`/api/v1/me/identities/${identity.id}`).set(auth).expect(400);
      expect(refused.body.error.text).toMatch(/only way to sign in/);
      await t.http().delete('/api/v1/me/identities/test').set(auth).expect(400);

      await t.http().post('/api/v1/auth/password-reset/request').send({ email }).expect(200);
      const mail = await waitForMail(t, email, /password/i);
      const token = new URL(linkIn(mail, 'password_reset_token=')).searchParams.get('password_reset_token');
      await t.http().post('/api/v1/auth/password-reset').send({ token, password: PASSWORD }).expect(200);
      await t.http().post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200);
      const relogin = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email, password: PASSWORD })
        .expect(200);
      await t.http().delete(`/api/v1/me/identities/${identity.id}`).set(bearer(relogin)).expect(200);
    });

    it('is deleted with its identities after a fresh sign-in: the same person then gets a new account', async () => {
      const account = { sub: sub(), email: uniqueEmail('gone'), email_verified: true };
      const first = await exchange((await webSignIn('test', account)).searchParams.get('login_code')!).expect(
        200,
      );
      const auth = { Authorization: `Bearer ${first.body.access_token}` };
      await t.http().delete('/api/v1/me').set(auth).send({}).expect(200);
      const again = await exchange((await webSignIn('test', account)).searchParams.get('login_code')!).expect(
        200,
      );
      expect(again.body.user.id).not.toBe(first.body.user.id);
    });

    it('turns two-step login on without a password after a fresh sign-in, and is asked for its code at the next', async () => {
      const account = { sub: sub(), email: uniqueEmail('nopw2fa'), email_verified: true };
      const first = await exchange((await webSignIn('test', account)).searchParams.get('login_code')!).expect(
        200,
      );
      const auth = bearer(first);
      // A sign-in older than five minutes no longer stands in for the password it does not have.
      const later = jest
        .spyOn(t.app.get(Clock), 'now')
        .mockImplementation(() => new Date(Date.now() + 5 * 60_000 + 1000));
      try {
        const stale = await t.http().post('/api/v1/me/mfa/totp').set(auth).send({}).expect(401);
        expect(stale.body.error).toMatchObject({ code: 'unauthorized' });
        expect(stale.body.error.text).toMatch(/log in again/);
      } finally {
        later.mockRestore();
      }
      const setup = await t.http().post('/api/v1/me/mfa/totp').set(auth).send({}).expect(200);
      await t
        .http()
        .post('/api/v1/me/mfa/totp/confirm')
        .set(auth)
        .send({ code: await appCode(setup.body.secret) })
        .expect(200);
      const asked = await exchange((await webSignIn('test', account)).searchParams.get('login_code')!).expect(
        401,
      );
      expect(asked.body.error.code).toBe('mfa_required');
      const login = await secondStep(
        t,
        asked.body.error.mfa_token,
        await appCode(setup.body.secret, 1),
      ).expect(200);
      expect(login.body.user.id).toBe(first.body.user.id);
    });

    it('cannot log in with a password before it has one', async () => {
      const email = uniqueEmail('nopw');
      const landed = await webSignIn('test', { sub: sub(), email, email_verified: true });
      await exchange(landed.searchParams.get('login_code')!).expect(200);
      const wrong = await t.http().post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(401);
      expect(wrong.body.error.code).toBe('auth_failed');
    });
  });
});
