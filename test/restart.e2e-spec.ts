import { join } from 'node:path';
import { RedisService } from '../src/bus/redis.service.js';
import { startDeployment } from './support/deployment.js';
import { openStream, resumeStream } from './support/friends.js';
import {
  createTestEnvironment,
  createUser,
  PASSWORD,
  uniqueEmail,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { linkIn, readMailFiles } from './support/mails.js';
import { startServiceProcess, waitForService, type ServiceProcess } from './support/process.js';
import { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

describe('a restart of the service', () => {
  let environment: TestEnvironment;
  let service: ServiceProcess | null = null;
  beforeAll(async () => {
    environment = await createTestEnvironment({ LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await environment.dispose();
  });

  it('without JWT_SECRET keeps access tokens and SSE codes working (the secret is kept in DATA_DIR)', async () => {
    const { JWT_SECRET: _given, ...vars } = environment.vars;
    service = await startServiceProcess(vars);
    const email = uniqueEmail('restart');
    // The log line is written asynchronously: wait for it rather than read the output at once.
    const started = service;
    const firstOutput = await waitForService(
      started,
      () => (/JWT_SECRET is not set/.test(started.output()) ? started.output() : undefined),
      'the line about the kept secret',
    );
    const register = await fetch(`${service.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, auto_login: true }),
    });
    expect(register.status).toBe(201);
    const { access_token: accessToken } = (await register.json()) as { access_token: string };
    // Streams are for confirmed users: the link from the real mail file.
    const mail = await waitForService(
      service,
      async () => (await readMailFiles(join(environment.dataDir, 'mail'))).find((m) => m.to === email),
      'the confirmation mail',
    );
    const confirm = await fetch(
      linkIn(mail, '/auth/confirm').replace(/^http:\/\/127\.0\.0\.1/, service.url),
      {
        redirect: 'manual',
      },
    );
    expect(confirm.headers.get('location')).toContain('email_confirmed=1');
    const auth = { Authorization: `Bearer ${accessToken}` };
    const codeAnswer = await fetch(`${service.url}/api/v1/tokens/sse-code`, {
      method: 'POST',
      headers: auth,
    });
    expect(codeAnswer.status).toBe(200);
    const { code } = (await codeAnswer.json()) as { code: string };

    service.child.kill('SIGTERM');
    await service.exited;
    service = await startServiceProcess(vars);

    expect((await fetch(`${service.url}/api/v1/me`, { headers: auth })).status).toBe(200);
    const stream = new AbortController();
    const events = await fetch(`${service.url}/api/v1/events?code=${encodeURIComponent(code)}`, {
      signal: stream.signal,
    });
    expect(events.status).toBe(200);
    stream.abort();
    expect(firstOutput).toMatch(/JWT_SECRET is not set: using the secret made now and kept in \S+jwt-secret/);
    const restarted = service;
    const secondOutput = await waitForService(
      restarted,
      () => (/JWT_SECRET is not set/.test(restarted.output()) ? restarted.output() : undefined),
      'the line about the kept secret after the restart',
    );
    expect(secondOutput).toMatch(/JWT_SECRET is not set: using the secret kept in \S+jwt-secret/);
  }, 120_000);
});

describe('event ids across a restart', () => {
  const { a: t, track, restart } = startDeployment({ vars: { PRESENCE_GRACE_SECONDS: '0' }, instances: 1 });
  const patch = (user: TestUser, message: string) =>
    t.http().patch('/api/v1/me').set(user.auth).send({ status_message: message }).expect(200);
  const messages = (stream: SseClient) =>
    stream
      .of('user_updated')
      .map((e) => (e.data as { user: { status_message: string } }).user.status_message);

  it('a client resuming after a restart gets every event it missed, or resync: never a silent gap', async () => {
    const user = await createUser(t);
    const before = track(await openStream(t, user));
    await patch(user, 'one');
    await patch(user, 'two');
    await waitFor(() => before.of('user_updated').length >= 2, 'two events');
    const seen = before.lastEventId as string;

    await restart();
    await patch(user, 'three');
    await patch(user, 'four');
    await patch(user, 'five');
    const resumed = track(await resumeStream(t, user, seen));
    await waitFor(
      () => resumed.of('resync').length > 0 || resumed.of('user_updated').length >= 3,
      'a resync or the three missed events',
    );
    if (resumed.of('resync').length > 0) {
      expect(resumed.events[0].event).toBe('resync');
      return;
    }
    // Every missed event, each once, in id order; and never an older state after a newer one (each
    // event carries the record as its fan-out read it, which may already be the next change's).
    const order = ['three', 'four', 'five'];
    const states = messages(resumed).map((message) => order.indexOf(message));
    expect(states).toEqual([...states].sort((x, y) => x - y));
    expect(states.at(-1)).toBe(2);
    const ids = resumed.of('user_updated').map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(3);
  });

  it('never gives an id twice after the state that numbers events is lost (a restart; the keys gone from Redis)', async () => {
    const user = await createUser(t);
    const before = track(await openStream(t, user));
    await patch(user, 'one');
    await patch(user, 'two');
    await waitFor(() => before.of('user_updated').length >= 2, 'two events');
    const oldIds = before.events.map((e) => Number(e.id));

    if (t.config.redisUrl) {
      const redis = t.app.get(RedisService);
      await redis.client?.del(redis.key('events', 'id', user.id), redis.key('events', 'log', user.id));
    } else {
      await restart();
    }
    const after = track(await openStream(t, user));
    await patch(user, 'three');
    await patch(user, 'four');
    await waitFor(() => after.of('user_updated').length >= 2, 'two new events');
    const newIds = after.of('user_updated').map((e) => Number(e.id));
    expect(Math.min(...newIds)).toBeGreaterThan(Math.max(...oldIds));

    const resumed = track(await resumeStream(t, user, oldIds[0]));
    await resumed.next('resync');
    expect(resumed.of('user_updated')).toEqual([]);
  });
});
