import { signAccessToken } from './support/access-tokens.js';
import {
  createUser,
  mails,
  PASSWORD,
  startApp,
  uniqueEmail,
  waitForMail,
  type TestApp,
} from './support/harness.js';
import { linkIn } from './support/mails.js';

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const register = (body: Record<string, unknown>) => t.http().post('/api/v1/auth/register').send(body);
  const login = (body: Record<string, unknown>, ip?: string) => {
    const call = t.http().post('/api/v1/auth/login');
    return (ip ? call.set('X-Forwarded-For', ip) : call).send(body);
  };
  const loginStatus = async (email: string, password = PASSWORD) => (await login({ email, password })).status;

  describe('register', () => {
    it('creates the account, answers 201 with the own record and mails a confirmation link', async () => {
      const email = uniqueEmail('reg');
      const response = await register({ email, password: PASSWORD, nick: '  Ada Lovelace ' }).expect(201);
      expect(response.body.user).toMatchObject({
        email,
        nick: 'Ada Lovelace',
        pending_email: null,
        confirmed_at: null,
        searchable_nick: true,
        avatar: null,
        status: null,
        is_online: false,
      });
      expect(response.body.user.id).toBeGreaterThan(0);
      expect(response.body.access_token).toBeUndefined();
      const mail = await waitForMail(t, email, /Confirm your email/);
      expect(linkIn(mail, '/api/v1/auth/confirm?token=')).toMatch(/token=[\w-]{43}$/);
      expect(mail.raw).toContain('Content-Type: text/html');
    });

    it('logs in at once with auto_login', async () => {
      const email = uniqueEmail('auto');
      const response = await register({ email, password: PASSWORD, auto_login: true }).expect(201);
      expect(response.body.token_type).toBe('Bearer');
      expect(response.body.expires_in).toBe(900);
      expect(response.body.user.auth_token).toMatch(/^[\w-]{43}$/);
      await t
        .http()
        .get('/api/v1/tokens/sessions')
        .set('Authorization', `Bearer ${response.body.access_token}`)
        .expect(200);
    });

    it.each([
      ['a malformed address', { email: 'not-an-email', password: PASSWORD }, 400, 'invalid_email'],
      ['a short password', { password: 'Short-1' }, 400, 'registration_error'],
      ['a password of one kind of character', { password: 'abcdefghijklmnop' }, 400, 'registration_error'],
      ['a bad nick', { password: PASSWORD, nick: '1abcdef' }, 400, 'invalid_nick'],
      ['an unknown field', { password: PASSWORD, admin: true }, 400, 'invalid_params'],
      ['a missing password', {}, 400, 'invalid_params'],
      ['a password of the wrong type', { password: 1234567890123 }, 400, 'invalid_params'],
    ])('refuses %s and creates nothing', async (_case, body, status, code) => {
      const email = uniqueEmail('bad');
      const response = await register({ email, ...body }).expect(status);
      expect(response.body.error.code).toBe(code);
      expect(response.body.error.text).toEqual(expect.any(String));
      // Nothing was created: the address is still free.
      await register({ email: 'email' in body ? uniqueEmail('free') : email, password: PASSWORD }).expect(
        201,
      );
    });

    it('refuses the email address itself as password', async () => {
      const email = uniqueEmail('Same');
      const response = await register({ email, password: email.toUpperCase() }).expect(400);
      expect(response.body.error).toEqual({
        code: 'registration_error',
        text: 'password must not be your email address',
      });
    });

    it('refuses a taken address without regard to case with 409 invalid_email', async () => {
      const email = uniqueEmail('taken');
      await register({ email, password: PASSWORD }).expect(201);
      const response = await register({ email: email.toUpperCase(), password: PASSWORD }).expect(409);
      expect(response.body.error.code).toBe('invalid_email');
    });

    it('registers many at once, each on its own, when some race for one address', async () => {
      const raced = uniqueEmail('raced');
      const distinct = Array.from({ length: 8 }, () => uniqueEmail('together'));
      const answers = await Promise.all(
        [...distinct, raced, raced, raced, raced].map((email) =>
          register({ email, password: PASSWORD, auto_login: true }),
        ),
      );
      expect(answers.slice(0, 8).map((answer) => answer.status)).toEqual(Array(8).fill(201));
      expect(
        answers
          .slice(8)
          .map((answer) => answer.status)
          .sort(),
      ).toEqual([201, 409, 409, 409]);
      // Every account answered 201 is really there, with a session that works.
      for (const answer of answers.filter((one) => one.status === 201)) {
        const me = await t
          .http()
          .get('/api/v1/me')
          .set('Authorization', `Bearer ${answer.body.access_token}`);
        expect([me.status, me.body.user?.email]).toEqual([200, answer.body.user.email]);
      }
    });

    it('refuses a taken nick without regard to case with 409 invalid_nick', async () => {
      const nick = `Nick${Date.now().toString(36)}`;
      await register({ email: uniqueEmail(), password: PASSWORD, nick }).expect(201);
      const response = await register({
        email: uniqueEmail(),
        password: PASSWORD,
        nick: nick.toUpperCase(),
      }).expect(409);
      expect(response.body.error.code).toBe('invalid_nick');
    });
  });

  describe('email confirmation', () => {
    it('confirms by the mailed link and redirects to the application', async () => {
      const email = uniqueEmail('confirm');
      await register({ email, password: PASSWORD }).expect(201);
      const link = new URL(linkIn(await waitForMail(t, email, /Confirm/), '/auth/confirm'));
      const response = await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      expect(response.headers.location).toBe('http://app.test/?email_confirmed=1');
      const me = await login({ email, password: PASSWORD }).expect(200);
      expect(me.body.user.confirmed_at).not.toBeNull();
    });

    it('says the address is confirmed when its link is clicked again', async () => {
      const email = uniqueEmail('reuse');
      await register({ email, password: PASSWORD }).expect(201);
      const link = new URL(linkIn(await waitForMail(t, email, /Confirm/), '/auth/confirm'));
      const first = await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      const confirmedAt = (await login({ email, password: PASSWORD }).expect(200)).body.user.confirmed_at;
      const again = await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      expect(first.headers.location).toBe('http://app.test/?email_confirmed=1');
      expect(again.headers.location).toBe('http://app.test/?email_confirmed=1');
      // Nothing changed the second time.
      expect((await login({ email, password: PASSWORD }).expect(200)).body.user.confirmed_at).toBe(
        confirmedAt,
      );
    });

    it('redirects with error=invalid_token for an unknown or missing token', async () => {
      const unknown = await t.http().get('/api/v1/auth/confirm?token=nope').expect(302);
      expect(unknown.headers.location).toBe('http://app.test/?error=invalid_token');
      const missing = await t.http().get('/api/v1/auth/confirm').expect(302);
      expect(missing.headers.location).toBe('http://app.test/?error=invalid_token');
    });

    it('lets an unconfirmed user log in and manage sessions, but answers 403 email_not_confirmed elsewhere', async () => {
      const user = await createUser(t, { confirmed: false });
      await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200);
      const refused = await t.http().get('/api/v1/contacts').set(user.auth).expect(403);
      expect(refused.body.error.code).toBe('email_not_confirmed');

      // Once confirmed, the same access token is let through (no new login needed).
      const link = new URL(linkIn(await waitForMail(t, user.email, /Confirm/), '/auth/confirm'));
      await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      await t.http().get('/api/v1/contacts').set(user.auth).expect(200);
    });

    it('answers please_wait when the confirmation is resent within 60 s, then nothing more is mailed', async () => {
      const email = uniqueEmail('resend');
      await register({ email, password: PASSWORD }).expect(201);
      await waitForMail(t, email, /Confirm/);
      const response = await t.http().post('/api/v1/auth/resend-confirmation').send({ email }).expect(429);
      expect(response.body.error.code).toBe('please_wait');
      expect(response.body.error.retry_after).toBeGreaterThan(0);
      expect(Number(response.headers['retry-after'])).toBe(response.body.error.retry_after);
      expect((await mails(t)).filter((mail) => mail.to === email)).toHaveLength(1);
    });

    it('answers {} to a resend for an unknown address without mailing anyone', async () => {
      const email = uniqueEmail('ghost');
      await t.http().post('/api/v1/auth/resend-confirmation').send({ email }).expect(200, {});
      expect((await mails(t)).filter((mail) => mail.to === email)).toHaveLength(0);
    });
  });

  describe('password reset', () => {
    it('mails a link to the callback, sets the new password and ends every session', async () => {
      const user = await createUser(t);
      await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200, {});
      const mail = await waitForMail(t, user.email, /Reset your Unichat password/);
      const link = linkIn(mail, 'password_reset_token=');
      expect(link).toMatch(/^http:\/\/app\.test\/\?password_reset_token=[\w-]{43}$/);
      const token = new URL(link).searchParams.get('password_reset_token');

      await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ token, password: 'Brand-new-pass-7' })
        .expect(200, {});
      // The old session's access token and auth token stop working at once.
      await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(401);
      await login({ auth_token: user.authToken }).expect(401);
      expect(await loginStatus(user.email)).toBe(401);
      expect(await loginStatus(user.email, 'Brand-new-pass-7')).toBe(200);
      // Single use.
      const again = await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ token, password: 'Other-pass-123' });
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe('invalid_token');
      expect(await loginStatus(user.email, 'Brand-new-pass-7')).toBe(200);
    });

    it('refuses a weak new password with weak_password and keeps the old one and the token', async () => {
      const user = await createUser(t);
      await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200);
      const mail = await waitForMail(t, user.email, /Reset/);
      const token = new URL(linkIn(mail, 'password_reset_token=')).searchParams.get('password_reset_token');
      const response = await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ token, password: 'weak' })
        .expect(400);
      expect(response.body.error.code).toBe('weak_password');
      expect(await loginStatus(user.email)).toBe(200);
      await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200);
      await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ token, password: 'Strong-enough-9' })
        .expect(200);
    });

    it('answers invalid_email for an unknown address', async () => {
      const response = await t
        .http()
        .post('/api/v1/auth/password-reset/request')
        .send({ email: uniqueEmail('nobody') })
        .expect(400);
      expect(response.body.error.code).toBe('invalid_email');
    });

    it('answers rate_exceeded saying how many seconds to wait when asked again within 60 s', async () => {
      const user = await createUser(t);
      await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200);
      const response = await t
        .http()
        .post('/api/v1/auth/password-reset/request')
        .send({ email: user.email })
        .expect(429);
      expect(response.body.error.code).toBe('rate_exceeded');
      const wait = response.body.error.retry_after;
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
      expect(response.body.error.text).toBe(
        `a reset was requested less than a minute ago; try again in ${wait} s`,
      );
      expect(response.headers['retry-after']).toBe(String(wait));
      await waitForMail(t, user.email, /Reset/);
      expect(
        (await mails(t)).filter((mail) => mail.to === user.email && /Reset/.test(mail.subject)),
      ).toHaveLength(1);
    });

    it('sends one reset mail for many requests at the same moment', async () => {
      const user = await createUser(t);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, ...Array(19).fill(429)]);
      await waitForMail(t, user.email, /Reset/);
      expect(
        (await mails(t)).filter((mail) => mail.to === user.email && /Reset/.test(mail.subject)),
      ).toHaveLength(1);
    });

    it('answers invalid_token for an unknown token', async () => {
      const response = await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ token: 'x'.repeat(43), password: 'Whatever-pass-1' })
        .expect(400);
      expect(response.body.error.code).toBe('invalid_token');
    });
  });

  describe('login', () => {
    it('answers the own record with a new auth token, and a JWT access token', async () => {
      const user = await createUser(t);
      const response = await login({ email: user.email.toUpperCase(), password: PASSWORD }).expect(200);
      expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(response.body.access_token.split('.')).toHaveLength(3);
      expect(response.body.user).toMatchObject({ id: user.id, email: user.email });
      expect(response.body.user.auth_token).toMatch(/^[\w-]{43}$/);
      expect(response.body.user.auth_token).not.toBe(user.authToken);
    });

    it('logs in by auth_token into the same session', async () => {
      const user = await createUser(t);
      const response = await login({ auth_token: user.authToken }).expect(200);
      expect(response.body.user.auth_token).toBe(user.authToken);
      const sessions = await t
        .http()
        .get('/api/v1/tokens/sessions')
        .set('Authorization', `Bearer ${response.body.access_token}`)
        .expect(200);
      expect(sessions.body.sessions).toHaveLength(1);
      expect(sessions.body.sessions[0].current).toBe(true);
    });

    it.each([
      ['a wrong password', (email: string) => ({ email, password: 'Wrong-password-1' })],
      ['an unknown email', () => ({ email: uniqueEmail('none'), password: PASSWORD })],
      ['an unknown auth_token', () => ({ auth_token: 'A'.repeat(43) })],
    ])('answers 401 auth_failed for %s', async (_case, body) => {
      const user = await createUser(t);
      const response = await login(body(user.email)).expect(401);
      expect(response.body.error.code).toBe('auth_failed');
    });

    it('answers invalid_params for a mix of both ways or neither', async () => {
      const user = await createUser(t);
      for (const body of [
        { email: user.email, password: PASSWORD, auth_token: user.authToken },
        {},
        { email: user.email },
      ]) {
        const response = await login(body).expect(400);
        expect(response.body.error.code).toBe('invalid_params');
      }
    });

    it('answers invalid_params for null fields, without counting a failed login', async () => {
      const user = await createUser(t);
      for (let attempt = 0; attempt < 6; attempt += 1) {
        for (const body of [
          { email: user.email, password: null },
          { email: null, password: PASSWORD },
          { auth_token: null },
        ]) {
          const response = await login(body).expect(400);
          expect(response.body.error.code).toBe('invalid_params');
        }
      }
      // Six rounds of those would have locked the address out (please_wait) had they counted.
      await login({ email: user.email, password: PASSWORD }).expect(200);
      await t.http().post('/api/v1/tokens').send({ auth_token: null }).expect(400);
      const register = await t
        .http()
        .post('/api/v1/auth/register')
        .send({ email: uniqueEmail('null'), password: PASSWORD, nick: null })
        .expect(400);
      expect(register.body.error.code).toBe('invalid_params');
    });

    it('answers please_wait with retry_after after 5 failures for one email, even with the right password', async () => {
      const user = await createUser(t);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect(await loginStatus(user.email, 'Wrong-password-1')).toBe(401);
      }
      const response = await login({ email: user.email, password: PASSWORD }).expect(429);
      expect(response.body.error.code).toBe('please_wait');
      expect(response.body.error.retry_after).toBeGreaterThan(800);
      expect(response.body.error.retry_after).toBeLessThanOrEqual(900);
      expect(response.headers['retry-after']).toBe(String(response.body.error.retry_after));
    });
  });

  describe('sessions and logout', () => {
    it('logout ends the calling session: its access token is refused at once', async () => {
      const user = await createUser(t);
      await t.http().post('/api/v1/auth/logout').set(user.auth).send({}).expect(200, {});
      const response = await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(401);
      expect(response.body.error.code).toBe('unauthorized');
      await login({ auth_token: user.authToken }).expect(401);
    });

    it('lists sessions with the current one marked, ends one, and ends all others', async () => {
      const user = await createUser(t);
      const second = await t
        .http()
        .post('/api/v1/auth/login')
        .set('User-Agent', 'UnichatTest/2.0')
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
      const secondAuth = { Authorization: `Bearer ${second.body.access_token}` };
      await login({ email: user.email, password: PASSWORD }).expect(200);

      const listed = await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200);
      expect(listed.body.sessions).toHaveLength(3);
      expect(listed.body.sessions.filter((session: { current: boolean }) => session.current)).toHaveLength(1);
      const secondSession = listed.body.sessions.find(
        (session: { user_agent: string }) => session.user_agent === 'UnichatTest/2.0',
      );
      expect(secondSession).toMatchObject({ ip: expect.any(String), created_at: expect.any(String) });

      await t.http().delete(`/api/v1/tokens/sessions/${secondSession.id}`).set(user.auth).expect(200, {});
      await t.http().get('/api/v1/tokens/sessions').set(secondAuth).expect(401);

      await t.http().delete('/api/v1/tokens/sessions').set(user.auth).expect(200, {});
      const after = await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200);
      expect(after.body.sessions).toHaveLength(1);
      expect(after.body.sessions[0].current).toBe(true);
    });

    it("answers not_found for another user's session, and invalid_params for a malformed id", async () => {
      const owner = await createUser(t);
      const other = await createUser(t);
      const [session] = (await t.http().get('/api/v1/tokens/sessions').set(owner.auth)).body.sessions;
      const response = await t
        .http()
        .delete(`/api/v1/tokens/sessions/${session.id}`)
        .set(other.auth)
        .expect(404);
      expect(response.body.error.code).toBe('not_found');
      await t.http().get('/api/v1/tokens/sessions').set(owner.auth).expect(200);
      const malformed = await t.http().delete('/api/v1/tokens/sessions/abc').set(other.auth).expect(400);
      expect(malformed.body.error.code).toBe('invalid_params');
    });

    it('answers 401 unauthorized without a token, with a bad one, and with a tampered one', async () => {
      const user = await createUser(t);
      const [header, payload, signature] = user.accessToken.split('.');
      const forged = Buffer.from(JSON.stringify({ sub: 1, sid: 1, ec: true })).toString('base64url');
      for (const authorization of [undefined, 'Bearer nonsense', `Bearer ${header}.${forged}.${signature}`]) {
        const call = t.http().get('/api/v1/tokens/sessions');
        const response = await (authorization ? call.set('Authorization', authorization) : call).expect(401);
        expect(response.body.error.code).toBe('unauthorized');
      }
      expect(payload).toBeDefined();
    });

    it('refuses an access token once it expires, though it was accepted before', async () => {
      const user = await createUser(t);
      const claims = JSON.parse(
        Buffer.from(user.accessToken.split('.')[1], 'base64url').toString(),
      ) as object;
      // The same session and claims, signed by the service with a life of two seconds.
      const { exp: _exp, iat: _iat, ...rest } = claims as { exp: number; iat: number };
      const { iss: _iss, aud: _aud, ...own } = rest as { iss: string; aud: string };
      const shortLived = signAccessToken(t, own, { expiresIn: 2 });
      const expiresAt = JSON.parse(Buffer.from(shortLived.split('.')[1], 'base64url').toString()).exp * 1000;
      const me = () => t.http().get('/api/v1/me').set('Authorization', `Bearer ${shortLived}`);

      expect((await me()).status).toBe(200);
      expect((await me()).status).toBe(200);
      let response = await me();
      while (response.status === 200 && Date.now() < expiresAt + 3000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        response = await me();
      }
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    });
  });

  describe('POST /tokens', () => {
    it('gives an access token for email and password, and for an auth token', async () => {
      const user = await createUser(t);
      const byPassword = await t
        .http()
        .post('/api/v1/tokens')
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
      expect(Object.keys(byPassword.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
      await t
        .http()
        .get('/api/v1/tokens/sessions')
        .set('Authorization', `Bearer ${byPassword.body.access_token}`)
        .expect(200);
      const byToken = await t.http().post('/api/v1/tokens').send({ auth_token: user.authToken }).expect(200);
      await t
        .http()
        .get('/api/v1/tokens/sessions')
        .set('Authorization', `Bearer ${byToken.body.access_token}`)
        .expect(200);
      const wrong = await t
        .http()
        .post('/api/v1/tokens')
        .send({ email: user.email, password: 'Nope-nope-12' })
        .expect(401);
      expect(wrong.body.error.code).toBe('auth_failed');
    });
  });
});
