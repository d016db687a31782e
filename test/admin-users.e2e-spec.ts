import { runAdmin } from './support/admin-cli.js';
import { startDeployment } from './support/deployment.js';
import { OpenIdProvider } from './support/openid-provider.js';
import { befriend, openStream } from './support/friends.js';
import {
  createUser,
  PASSWORD,
  type TestApp,
  type TestUser,
  uniqueEmail,
  waitForMail,
} from './support/harness.js';
import { SseClient } from './support/sse-client.js';
import { appCode, secondStep, turnOnTotp } from './support/totp.js';
import { waitFor } from './support/wait.js';

/** A CLI command starts a process and the application: slow on a busy machine. */
const CLI_MS = 180_000;

interface ActivityEvent {
  type: string;
  details: Record<string, unknown>;
}
interface OperatorUser {
  id: number;
  email: string;
  nick: string | null;
  confirmed_at: string | null;
  disabled: boolean;
  disabled_at: string | null;
  last_login_at: string | null;
  created_at: string;
}

describe('admin: users', () => {
  let adminKey: { id: number; auth: { Authorization: string } };
  let readerKey: { Authorization: string };
  let provider: OpenIdProvider;

  /** A service key made as an operator makes one: with the CLI, printed alone on its own line. */
  const makeKey = async (name: string, scopes: string) => {
    const made = await runAdmin(environment, ['service-keys', 'create', '--name', name, '--scopes', scopes]);
    if (made.code !== 0) throw new Error(`service-keys create failed: ${made.stderr}`);
    const key = made.stdout.split('\n').find((line) => line.startsWith('usk_'))!;
    return {
      id: Number(/service key (\d+)/.exec(made.stderr)![1]),
      auth: { Authorization: `Bearer ${key}` },
    };
  };

  beforeAll(async () => {
    provider = await OpenIdProvider.start([
      {
        client_id: 'unichat-web',
        client_secret: 'web-client-secret',
        redirect_uri: 'http://127.0.0.1/api/v1/auth/oidc/test/callback',
      },
    ]);
  });
  // Two instances of one deployment on PostgreSQL + Redis; one on SQLite (A and B are the same app).
  const { a, b, environment, track } = startDeployment({
    vars: () => ({
      OIDC_PROVIDERS: JSON.stringify([
        {
          name: 'test',
          issuer: provider.issuer,
          client_id: 'unichat-web',
          client_secret: 'web-client-secret',
        },
      ]),
    }),
  });
  beforeAll(async () => {
    adminKey = await makeKey('support-desk', 'admin');
    readerKey = (await makeKey('directory', 'users:read,relations:read')).auth;
  }, CLI_MS);
  afterAll(async () => {
    await provider.close();
  });

  const admin = (t: TestApp, method: 'get' | 'post' | 'delete', path: string) =>
    t.http()[method](`/api/v1/admin/users${path}`).set(adminKey.auth);
  const disable = (user: TestUser, t = a) => admin(t, 'post', `/${user.id}/disable`).expect(200);
  const enable = (user: TestUser, t = a) => admin(t, 'post', `/${user.id}/enable`).expect(200);
  const login = (t: TestApp, user: TestUser, password = user.password) =>
    t.http().post('/api/v1/auth/login').send({ email: user.email, password });
  const activity = async (t: TestApp, auth: { Authorization: string }) =>
    (await t.http().get('/api/v1/me/activity').set(auth).expect(200)).body.events as ActivityEvent[];
  const adminActions = async (t: TestApp, auth: { Authorization: string }) =>
    (await activity(t, auth)).filter((event) => event.type === 'admin_action').map((event) => event.details);
  const byKey = (action: string) => ({ action, key_id: adminKey.id, key_name: 'support-desk' });

  describe('who may call', () => {
    it('refuses a key without the admin scope with 403 forbidden, and a user token or no key with 401', async () => {
      const user = await createUser(a);
      const forbidden = await a.http().get('/api/v1/admin/users').set(readerKey).expect(403);
      expect(forbidden.body.error.code).toBe('forbidden');
      const asUser = await a.http().post(`/api/v1/admin/users/${user.id}/disable`).set(user.auth).expect(401);
      expect(asUser.body.error.code).toBe('unauthorized');
      await a.http().get(`/api/v1/admin/users/${user.id}`).expect(401);
      expect((await login(a, user)).status).toBe(200);
    });
  });

  describe('disable', () => {
    it('closes an open stream on the other instance within a second and refuses the access token there', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      const annOnB = track(await openStream(b, ann));
      await b.http().get('/api/v1/me').set(ann.auth).expect(200);

      const started = Date.now();
      const answer = await disable(ann);
      expect(answer.body.user).toMatchObject({ id: ann.id, disabled: true, disabled_at: expect.any(String) });
      await waitFor(() => annOnB.ended, "ann's stream on B to close", 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      const refused = await b.http().get('/api/v1/me').set(ann.auth).expect(401);
      expect(refused.body.error.code).toBe('unauthorized');
    });

    it('answers every way in with 403 account_disabled, a wrong password still with auth_failed', async () => {
      const ann = await createUser(a);
      await disable(ann);
      const refusals = await Promise.all([
        login(a, ann),
        login(b, ann),
        a.http().post('/api/v1/auth/login').send({ auth_token: ann.authToken }),
        b.http().post('/api/v1/tokens').send({ email: ann.email, password: PASSWORD }),
        a.http().post('/api/v1/tokens').send({ auth_token: ann.authToken }),
        b.http().post('/api/v1/rpc/login').send({ email: ann.email, password: PASSWORD }),
      ]);
      for (const response of refusals) {
        expect([response.status, response.body.error?.code]).toEqual([403, 'account_disabled']);
      }
      const wrong = await login(a, ann, 'Not-the-password-1');
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'auth_failed']);
    });

    it('answers the second step of a two-step login with 403 account_disabled, once both factors are right', async () => {
      const ann = await createUser(a);
      const { secret } = await turnOnTotp(a, ann);
      await disable(ann);
      const first = await login(b, ann).expect(401);
      expect(first.body.error.code).toBe('mfa_required');
      const second = await secondStep(b, first.body.error.mfa_token, await appCode(secret, 1));
      expect([second.status, second.body.error?.code]).toEqual([403, 'account_disabled']);
    });

    it('answers a sign-in with an OpenID provider with 403 account_disabled', async () => {
      const claims = {
        sub: `sub-${Date.now()}`,
        email: uniqueEmail('oidc'),
        email_verified: true,
        nonce: 'n-1',
      };
      const idTokenLogin = async () =>
        b
          .http()
          .post('/api/v1/auth/oidc/test/id-token')
          .send({ id_token: await provider.idToken(claims, { audience: 'unichat-web' }), nonce: 'n-1' });
      const first = await idTokenLogin();
      expect([first.status, first.body.user.email]).toEqual([200, claims.email]);
      await admin(a, 'post', `/${first.body.user.id}/disable`).expect(200);
      const refused = await idTokenLogin();
      expect([refused.status, refused.body.error?.code]).toEqual([403, 'account_disabled']);
    });

    it('tells other services: the users route says disabled, and no one may message the account', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      const seen = async () => {
        const users = await b
          .http()
          .get('/api/v1/service/users')
          .query({ ids: `${ann.id}` })
          .set(readerKey)
          .expect(200);
        const relations = await b
          .http()
          .post('/api/v1/service/relations')
          .set(readerKey)
          .send({ pairs: [[bob.id, ann.id]] })
          .expect(200);
        return [users.body.users[0].disabled, relations.body.relations[0].can_message];
      };
      // B may answer from its cache of users for the moment the change takes to reach it.
      const becomes = (expected: boolean[]) =>
        waitFor(async () => JSON.stringify(await seen()) === JSON.stringify(expected), `${expected}`, 2000);
      expect(await seen()).toEqual([false, true]);
      await disable(ann);
      await becomes([true, false]);
      await enable(ann);
      await becomes([false, true]);
    });

    it('lets no session outlive a disabling that logins race, on either instance', async () => {
      const ann = await createUser(a);
      // Four: a password check counts against the address's limit of failures until it succeeds.
      const [answers] = await Promise.all([
        Promise.all(Array.from({ length: 4 }, (_, n) => login(n % 2 === 0 ? a : b, ann).then((r) => r))),
        disable(ann),
      ]);
      for (const answer of answers) {
        if (answer.status !== 200) {
          expect([answer.status, answer.body.error.code]).toEqual([403, 'account_disabled']);
          continue;
        }
        const auth = { Authorization: `Bearer ${answer.body.access_token}` };
        await b.http().get('/api/v1/me').set(auth).expect(401);
        await a.http().get('/api/v1/me').set(auth).expect(401);
      }
    });

    it('gives a QR code approved before the disabling no session: the browser hears qr_expired account_disabled', async () => {
      const ann = await createUser(a);
      const code = (await a.http().post('/api/v1/auth/qr').expect(201)).body as {
        id: string;
        key: string;
        check: string;
      };
      await a
        .http()
        .post(`/api/v1/auth/qr/${code.id}/approve`)
        .set(ann.auth)
        .send({ key: code.key, check: code.check })
        .expect(200);
      await disable(ann);
      const browser = track(
        await SseClient.open(b.url, `/api/v1/auth/qr/${code.id}/events?key=${encodeURIComponent(code.key)}`),
      );
      const expired = await browser.next<{ reason: string }>('qr_expired');
      expect(expired.data.reason).toBe('account_disabled');
      expect(browser.events.some((event) => event.event === 'qr_login')).toBe(false);
      // The phone's own token died with the disabling: it cannot approve another code.
      const next = (await a.http().post('/api/v1/auth/qr').expect(201)).body as { id: string };
      await a
        .http()
        .post(`/api/v1/auth/qr/${next.id}/approve`)
        .set(ann.auth)
        .send({ key: code.key, check: '00' })
        .expect(401);
    });

    it('keeps the account: enabled again, it logs in, its contacts and export are there, its activity names the key', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      await disable(ann);
      expect((await login(a, ann)).status).toBe(403);
      const enabled = await enable(ann, b);
      expect(enabled.body.user).toMatchObject({ disabled: false, disabled_at: null });

      const again = await login(b, ann).expect(200);
      const auth = { Authorization: `Bearer ${again.body.access_token}` };
      const contacts = await b.http().get('/api/v1/contacts').set(auth).expect(200);
      expect(contacts.body.users.map((user: { id: number }) => user.id)).toEqual([bob.id]);
      const exported = await b.http().get('/api/v1/me/export').set(auth).expect(200);
      expect(exported.body.user.email).toBe(ann.email);
      expect(await adminActions(b, auth)).toEqual([byKey('enable'), byKey('disable')]);
    });
  });

  describe('one user', () => {
    it('shows private fields, disabled, created_at, last_login_at, live sessions and devices', async () => {
      const ann = await createUser(a, { nick: `Shown${Date.now().toString(36)}` });
      const token = 'ab'.repeat(32);
      await a.http().post('/api/v1/devices').set(ann.auth).send({ token, notification_service: 'ios_app' });
      const shown = await admin(b, 'get', `/${ann.id}`).expect(200);
      expect(shown.body.user).toMatchObject({
        id: ann.id,
        email: ann.email,
        nick: ann.nick,
        disabled: false,
        disabled_at: null,
        confirmed_at: expect.any(String),
        created_at: expect.any(String),
      });
      expect(Date.parse(shown.body.user.last_login_at)).toBeGreaterThanOrEqual(
        Date.parse(shown.body.user.created_at),
      );
      expect(shown.body.sessions).toHaveLength(1);
      expect(shown.body.devices.map((device: { token: string }) => device.token)).toEqual([token]);
      expect(JSON.stringify(shown.body)).not.toContain(ann.authToken);
      await admin(a, 'get', '/2147483647').expect(404);
      await admin(a, 'get', '/0x10').expect(400);
    });
  });

  describe('search', () => {
    it('pages through users by email prefix, nick prefix and id, each user once', async () => {
      const tag = `pg${Date.now().toString(36)}`;
      const users = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          createUser(a, { email: uniqueEmail(`${tag}${n}`), nick: `${tag}Nick${n}`, confirmed: n !== 3 }),
        ),
      );
      const all = async (query: Record<string, string>) => {
        const seen: OperatorUser[] = [];
        let cursor: string | null = null;
        for (;;) {
          const page: { users: OperatorUser[]; next_cursor: string | null } = (
            await admin(b, 'get', '')
              .query({ ...query, limit: 2, ...(cursor ? { cursor } : {}) })
              .expect(200)
          ).body;
          expect(page.users.length).toBeLessThanOrEqual(2);
          seen.push(...page.users);
          cursor = page.next_cursor;
          if (cursor === null) return seen;
        }
      };
      const ids = users.map((user) => user.id).sort((x, y) => x - y);
      const idsOf = (found: OperatorUser[]) => found.map((user) => user.id).sort((x, y) => x - y);
      expect(idsOf(await all({ email: tag.toUpperCase() }))).toEqual(ids);
      expect(idsOf(await all({ nick: `${tag}NICK` }))).toEqual(ids);
      expect((await all({ id: String(users[2].id) })).map((user) => user.email)).toEqual([users[2].email]);
      expect((await all({ email: `${tag}3` }))[0]).toMatchObject({ confirmed_at: null, disabled: false });
    });

    it('refuses two kinds of search at once, and a cursor of another search', async () => {
      const page = await admin(a, 'get', '').query({ limit: 1 }).expect(200);
      expect(page.body.next_cursor).toEqual(expect.any(String));
      const mixed = await admin(a, 'get', '').query({ email: 'a', nick: 'b' }).expect(400);
      expect(mixed.body.error.code).toBe('invalid_params');
      const foreign = await admin(a, 'get', '')
        .query({ nick: 'ab', cursor: page.body.next_cursor })
        .expect(400);
      expect(foreign.body.error.code).toBe('invalid_params');
    });
  });

  describe('other actions', () => {
    it('ends every session of the user, on every instance', async () => {
      const ann = await createUser(a);
      const answer = await admin(a, 'post', `/${ann.id}/sessions/end`).expect(200);
      expect(answer.body).toEqual({ sessions_ended: 1 });
      await b.http().get('/api/v1/me').set(ann.auth).expect(401);
      const again = await login(b, ann).expect(200);
      const auth = { Authorization: `Bearer ${again.body.access_token}` };
      expect(await adminActions(b, auth)).toEqual([byKey('end_sessions')]);
    });

    it('marks the address confirmed: the routes that need it open', async () => {
      const ann = await createUser(a, { confirmed: false });
      const refused = await a.http().get('/api/v1/contacts').set(ann.auth).expect(403);
      expect(refused.body.error.code).toBe('email_not_confirmed');
      const answer = await admin(a, 'post', `/${ann.id}/confirm`).expect(200);
      expect(answer.body.user.confirmed_at).toEqual(expect.any(String));
      await waitFor(
        async () => (await b.http().get('/api/v1/contacts').set(ann.auth)).status === 200,
        'contacts to open once confirmed',
      );
      expect(await adminActions(b, ann.auth)).toEqual([byKey('confirm')]);
    });

    it('mails a password-reset link, one a minute', async () => {
      const ann = await createUser(a);
      await admin(a, 'post', `/${ann.id}/password-reset`).expect(200, {});
      await waitForMail(a, ann.email, /Reset your Unichat password/);
      const again = await admin(a, 'post', `/${ann.id}/password-reset`).expect(429);
      expect(again.body.error.code).toBe('rate_exceeded');
      expect(await adminActions(a, ann.auth)).toEqual([byKey('send_reset')]);
    });

    it('deletes the account as DELETE /me does: friends hear user_deleted, the login fails', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      const bobOnB = track(await openStream(b, bob));
      await admin(a, 'delete', `/${ann.id}`).expect(200, {});
      await bobOnB.next('user_deleted', (data) => data.user_id === ann.id);
      await b.http().get(`/api/v1/users/${ann.id}`).expect(404);
      expect((await login(b, ann)).status).toBe(401);
      await admin(b, 'delete', `/${ann.id}`).expect(404);
    });
  });

  describe('the CLI', () => {
    it(
      'users disable, against the configured database: the running service closes the stream and refuses the account; enable lets it in, both named cli',
      async () => {
        const ann = await createUser(a);
        const annOnB = track(await openStream(b, ann));
        const disabled = await runAdmin(environment, ['users', 'disable', String(ann.id)]);
        expect(disabled).toMatchObject({
          code: 0,
          stdout: `disabled user ${ann.id}; every session of it has ended\n`,
        });
        expect(disabled.stderr).toContain('"key_name":"cli"');
        const refused = await login(b, ann);
        expect([refused.status, refused.body.error?.code]).toEqual([403, 'account_disabled']);
        // The running instances hear of it over Redis, or without Redis read it from the database.
        await waitFor(() => annOnB.ended, "ann's stream to close", 5000);
        await b.http().get('/api/v1/me').set(ann.auth).expect(401);

        const found = await runAdmin(environment, ['users', 'find', ann.email, '--json']);
        expect(JSON.parse(found.stdout).users).toEqual([
          expect.objectContaining({ id: ann.id, disabled: true }),
        ]);
        expect((await runAdmin(environment, ['users', 'enable', String(ann.id)])).code).toBe(0);
        const again = await login(a, ann).expect(200);
        const auth = { Authorization: `Bearer ${again.body.access_token}` };
        const cli = (action: string) => ({ action, key_id: null, key_name: 'cli' });
        expect(await adminActions(a, auth)).toEqual([cli('enable'), cli('disable')]);
      },
      CLI_MS,
    );

    it(
      'answers an unknown user with an error and exit code 1',
      async () => {
        const result = await runAdmin(environment, ['users', 'disable', '2147483647']);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('no user with id 2147483647');
      },
      CLI_MS,
    );
  });
});
