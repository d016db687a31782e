import {
  createTestEnvironment,
  createUser,
  PASSWORD,
  startApp,
  uniqueEmail,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { waitFor } from './support/wait.js';

// Runs in the PostgreSQL run (jest.config.js leaves it out without DATABASE_URL). PostgreSQL is
// made unreachable for this app alone: it connects through a proxy that the test cuts and restores.
describe('PostgreSQL unreachable, then back', () => {
  let environment: TestEnvironment;
  let proxy: TcpProxy;
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    const url = new URL(environment.vars.DATABASE_URL);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    t = await startApp(environment, { DATABASE_URL: url.toString() });
    user = await createUser(t);
  });
  afterAll(async () => {
    proxy.restore();
    await t.close();
    await proxy.close();
    await environment.dispose();
  });

  const login = () => t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD });
  const register = () =>
    t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: uniqueEmail('outage'), password: PASSWORD });

  it('answers 503 unavailable in the envelope while the database is away, and recovers without a restart', async () => {
    proxy.cut();
    // The pool notices the cut connections on their next use: from then on every answer is a 503.
    await waitFor(async () => (await login()).status === 503, 'a 503 while PostgreSQL is away', 15_000);
    for (const answer of [
      await login(),
      await register(),
      await t.http().get(`/api/v1/users?nick=abcde`).set(user.auth),
      await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'lost' }),
    ]) {
      expect([answer.status, answer.body.error?.code]).toEqual([503, 'unavailable']);
      expect(typeof answer.body.error.text).toBe('string');
    }
    expect((await t.http().get('/health/ready')).status).toBe(503);

    proxy.restore();
    await waitFor(async () => (await login()).status === 200, 'logins again once PostgreSQL is back', 15_000);
    expect((await register()).status).toBe(201);
    expect((await t.http().get('/health/ready')).status).toBe(200);
    // Nothing of the failed requests was kept.
    const me = await t.http().get('/api/v1/me').set(user.auth).expect(200);
    expect(me.body.user.status_message).not.toBe('lost');
  });

  it('answers 503 when PostgreSQL stops answering (no hang), and recovers once it answers again', async () => {
    await login().expect(200);
    proxy.stall();
    // Each request waits for PostgreSQL at most the query timeout (10 s), then gets the envelope.
    const [byLogin, byPatch] = await Promise.all([
      login(),
      t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'stalled' }),
    ]);
    for (const answer of [byLogin, byPatch]) {
      expect([answer.status, answer.body.error?.code]).toEqual([503, 'unavailable']);
    }
    proxy.restore();
    await waitFor(async () => (await login()).status === 200, 'logins again once PostgreSQL answers', 15_000);
    const me = await t.http().get('/api/v1/me').set(user.auth).expect(200);
    expect(me.body.user.status_message).not.toBe('stalled');
  }, 60_000);
});
