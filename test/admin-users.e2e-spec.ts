import { AdminActionsService } from '../src/admin/admin-actions.service.js';
import { AdminUsersService } from '../src/admin/admin-users.service.js';
import { type Operator } from '../src/admin/operator.js';
import { befriend, openStream } from './support/friends.js';
import {
  createTestEnvironment,
  createUser,
  PASSWORD,
  startApp,
  type TestApp,
  type TestEnvironment,
  type TestUser,
  uniqueEmail,
} from './support/harness.js';
import { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

// Two instances of one deployment on PostgreSQL + Redis; one on SQLite (A and B are the same app).
const SEVERAL = Boolean(process.env.REDIS_URL && process.env.DATABASE_URL);
const OPERATOR: Operator = { keyId: 7, name: 'support-desk' };

interface ActivityEvent {
  type: string;
  details: Record<string, unknown>;
}

describe('admin: users', () => {
  let environment: TestEnvironment;
  let a: TestApp;
  let b: TestApp;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);

  beforeAll(async () => {
    environment = await createTestEnvironment();
    a = await startApp(environment);
    b = SEVERAL ? await startApp(environment) : a;
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await a.close();
    await b.close();
    await environment.dispose();
  });

  const disable = (user: TestUser) => a.app.get(AdminActionsService).disable(user.id, OPERATOR);
  const enable = (user: TestUser) => a.app.get(AdminActionsService).enable(user.id, OPERATOR);
  const login = (t: TestApp, user: TestUser, password = user.password) =>
    t.http().post('/api/v1/auth/login').send({ email: user.email, password });
  const activity = async (t: TestApp, auth: { Authorization: string }) =>
    (await t.http().get('/api/v1/me/activity').set(auth).expect(200)).body.events as ActivityEvent[];

  describe('disable', () => {
    it('closes an open stream on the other instance within a second and refuses the access token there', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      const annOnB = track(await openStream(b, ann));
      await b.http().get('/api/v1/me').set(ann.auth).expect(200);

      const started = Date.now();
      await disable(ann);
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
        a.http().post('/api/v1/tokens').send({ email: ann.email, password: PASSWORD }),
        a.http().post('/api/v1/tokens').send({ auth_token: ann.authToken }),
        a.http().post('/api/v1/rpc/login').send({ email: ann.email, password: PASSWORD }),
      ]);
      for (const response of refusals) {
        expect([response.status, response.body.error?.code]).toEqual([403, 'account_disabled']);
      }
      const wrong = await login(a, ann, 'Not-the-password-1');
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'auth_failed']);
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
    });

    it('keeps the account: enabled again, it logs in, its contacts and export are there, its activity names the key', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      await disable(ann);
      expect((await login(a, ann)).status).toBe(403);
      await enable(ann);

      const again = await login(b, ann).expect(200);
      const auth = { Authorization: `Bearer ${again.body.access_token}` };
      const contacts = await b.http().get('/api/v1/contacts').set(auth).expect(200);
      expect(contacts.body.users.map((user: { id: number }) => user.id)).toEqual([bob.id]);
      const exported = await b.http().get('/api/v1/me/export').set(auth).expect(200);
      expect(exported.body.user.email).toBe(ann.email);

      const actions = (await activity(b, auth)).filter((event) => event.type === 'admin_action');
      expect(actions.map((event) => event.details)).toEqual([
        { action: 'enable', key_id: OPERATOR.keyId, key_name: OPERATOR.name },
        { action: 'disable', key_id: OPERATOR.keyId, key_name: OPERATOR.name },
      ]);
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
      const service = a.app.get(AdminUsersService);
      const all = async (query: Record<string, string | number>) => {
        const seen: { id: number; email: string }[] = [];
        let cursor: string | null = null;
        for (;;) {
          const page = await service.search(query, 2, cursor, OPERATOR);
          expect(page.users.length).toBeLessThanOrEqual(2);
          seen.push(...page.users);
          cursor = page.next_cursor;
          if (cursor === null) return seen;
        }
      };
      const ids = users.map((user) => user.id).sort((x, y) => x - y);
      expect((await all({ email: tag.toUpperCase() })).map((user) => user.id).sort((x, y) => x - y)).toEqual(
        ids,
      );
      expect((await all({ nick: `${tag}NICK` })).map((user) => user.id).sort((x, y) => x - y)).toEqual(ids);
      expect((await all({ id: users[2].id })).map((user) => user.email)).toEqual([users[2].email]);
    });
  });
});
