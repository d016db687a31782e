import { REDIS_COMMAND_TIMEOUT_MS, RedisService } from '../src/bus/redis.service.js';
import { openStream, resumeStream } from './support/friends.js';
import {
  createTestEnvironment,
  createUser,
  startApp,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import type { SseClient } from './support/sse-client.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { waitFor } from './support/wait.js';

/**
 * An instance hears its own heartbeat over the bus every 2 s and counts itself out of sync once
 * it has missed it for 5 s; it then checks its streams' sessions at its next beat. A refusal and
 * a closed stream are due within that, with a margin for a busy machine.
 */
const NOTICED_WITHIN_MS = 5000 + 2000 + 4000;
/** A command to a silent Redis gives up and is answered 503 within this (with a margin). */
const ANSWERED_WITHIN_MS = 8000;

const isSubscriber = (sent: string) => sent.includes('unichat-subscriber');
/** A subscriber connection that has sent its SUBSCRIBE (a command name is one line of its own). */
const isSubscribing = (sent: string) => isSubscriber(sent) && /\r\nsubscribe\r\n/i.test(sent);

// Two instances share PostgreSQL and Redis; B reaches Redis through a proxy that the test makes
// silent: bytes stop flowing, nothing is closed, as when a NAT or a load balancer drops an idle
// flow. Runs in the PostgreSQL + Redis run (jest.config.js).
describe('a Redis connection that goes silent without a reset', () => {
  let environment: TestEnvironment;
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);

  beforeAll(async () => {
    environment = await createTestEnvironment({ PRESENCE_GRACE_SECONDS: '0' });
    const redis = new URL(environment.vars.REDIS_URL);
    proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
    a = await startApp(environment);
    b = await startApp(environment, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    // Back in sync once B has given up the silent connections and hears its heartbeat again.
    proxy.restore();
    await waitFor(
      async () => (await b.http().get('/health/ready')).status === 200,
      'B to be ready again',
      30_000,
    );
  }, 40_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await proxy?.close();
    await environment?.dispose();
  });

  /** A user known to B (its token cached there), with a stream held by B. */
  async function knownOnB(): Promise<{ user: TestUser; stream: SseClient }> {
    const user = await createUser(a);
    for (let i = 0; i < 2; i += 1) await b.http().get('/api/v1/me').set(user.auth).expect(200);
    return { user, stream: track(await openStream(b, user)) };
  }

  /** Logs the user out on A; B refuses the token and closes its stream within the window. */
  async function logoutReachesB(user: TestUser, stream: SseClient): Promise<void> {
    await a.http().post('/api/v1/auth/logout').set(user.auth).send({}).expect(200);
    await waitFor(
      async () => (await b.http().get('/api/v1/me').set(user.auth)).status === 401,
      'B to refuse the token of the session ended on A',
      NOTICED_WITHIN_MS,
    );
    await waitFor(() => stream.ended, 'B to close the stream of the ended session', NOTICED_WITHIN_MS);
  }

  it('when only the subscriber connection goes silent, a logout on A is in force on B within the heartbeat window', async () => {
    const { user, stream } = await knownOnB();
    const other = await knownOnB();
    proxy.stall(isSubscriber);

    await logoutReachesB(user, stream);
    // A session that did not end goes on working on B, and keeps its stream.
    await b.http().get('/api/v1/me').set(other.user.auth).expect(200);
    expect(other.stream.ended).toBe(false);

    // Once B hears its heartbeat again, the bus carries revocations to it as before.
    proxy.restore();
    await waitFor(
      async () => (await b.http().get('/health/ready')).status === 200,
      'B to be back in sync',
      30_000,
    );
    await a.http().post('/api/v1/auth/logout').set(other.user.auth).send({}).expect(200);
    await waitFor(() => other.stream.ended, 'the bus to close the stream on B', 3000);
  }, 60_000);

  it('when every connection goes silent, a logout on A is in force on B, and what needs Redis answers 503 instead of hanging', async () => {
    const { user, stream } = await knownOnB();
    const other = await createUser(a);
    proxy.stall();

    await logoutReachesB(user, stream);
    // A live session goes on working on B (its session read from the database).
    await b.http().get('/api/v1/me').set(other.auth).expect(200);

    // A login counts its attempt in Redis: refused with 503, in bounded time.
    const started = Date.now();
    const login = await b
      .http()
      .post('/api/v1/auth/login')
      .send({ email: other.email, password: other.password })
      .timeout(ANSWERED_WITHIN_MS * 2);
    expect(login.status).toBe(503);
    expect(login.body.error.code).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);
    // Readiness says so too, in bounded time.
    const ready = await b
      .http()
      .get('/health/ready')
      .timeout(ANSWERED_WITHIN_MS * 2);
    expect(ready.status).toBe(503);
  }, 60_000);
  it('a stream resumed on B while the bus is slow to reach B gets each event once: from the replay, not again from the bus', async () => {
    const { user, stream } = await knownOnB();
    // A stream on A too: once it has an event, the event is in the replay log (logged, then sent).
    const onA = track(await openStream(a, user));
    type Update = { user: { status_message: string } };
    const patch = (message: string) =>
      a.http().patch('/api/v1/me').set(user.auth).send({ status_message: message }).expect(200);
    const said = (message: string) => (data: Update) => data.user.status_message === message;
    await patch('seen');
    const seen = await stream.next<Update>('user_updated', said('seen'));
    stream.close();

    // B's subscriber is held, not cut: the bus message of the next change reaches B only later.
    proxy.stall(isSubscriber);
    await patch('late on the bus');
    await onA.next<Update>('user_updated', said('late on the bus'));
    const resumed = track(await resumeStream(b, user, seen));
    await resumed.next<Update>('user_updated', said('late on the bus'));
    proxy.release(isSubscriber);
    await patch('after');
    await resumed.next<Update>('user_updated', said('after'));

    const messages = resumed.of('user_updated').map((event) => (event.data as Update).user.status_message);
    expect(messages).toEqual(['late on the bus', 'after']);
    const ids = resumed.of('user_updated').map((event) => Number(event.id));
    expect(ids[1]).toBeGreaterThan(ids[0]);
  });

  type Update = { user: { status_message: string } };

  /** Changes the user's status message on A: their own streams get `user_updated`. */
  const changeOnA = (user: TestUser, message: string) =>
    a.http().patch('/api/v1/me').set(user.auth).send({ status_message: message }).expect(200);

  /** Silences B's subscriber until B counts itself out of sync: the bus messages sent now are lost to it. */
  async function outOfSyncOnB(): Promise<void> {
    proxy.stall(isSubscriber);
    await waitFor(
      async () => (await b.http().get('/health/ready')).status === 503,
      'B to be out of sync',
      NOTICED_WITHIN_MS,
    );
  }

  /** New connections reach Redis again: B gives up the silent subscriber, hears its heartbeat, catches up. */
  async function backInSyncOnB(): Promise<void> {
    proxy.restore();
    await waitFor(
      async () => (await b.http().get('/health/ready')).status === 200,
      'B to be back in sync',
      30_000,
    );
  }

  it('a stream held by B while B was out of sync gets what it missed once B is back: in order, each once, no resync', async () => {
    const { user, stream } = await knownOnB();
    // A stream on A too: once it has an event, the bus message was sent (while B could not hear it).
    const onA = track(await openStream(a, user));
    await outOfSyncOnB();
    await changeOnA(user, 'missed 1');
    await changeOnA(user, 'missed 2');
    await onA.next<Update>('user_updated', (data) => data.user.status_message === 'missed 2');

    await backInSyncOnB();
    // Caught up before B counts itself ready: nothing to wait for beyond the write reaching us.
    await stream.next<Update>('user_updated', (data) => data.user.status_message === 'missed 2', 2000);
    await changeOnA(user, 'after');
    await stream.next<Update>('user_updated', (data) => data.user.status_message === 'after');

    const updates = stream.of('user_updated');
    expect(updates.map((event) => (event.data as Update).user.status_message)).toEqual([
      'missed 1',
      'missed 2',
      'after',
    ]);
    const ids = updates.map((event) => Number(event.id));
    expect(ids[1]).toBeGreaterThan(ids[0]);
    expect(ids[2]).toBeGreaterThan(ids[1]);
    expect(stream.of('resync')).toEqual([]);
    expect(stream.ended).toBe(false);
  }, 60_000);

  it('a stream held by B gets one resync when the replay log no longer holds all it missed while B was out of sync', async () => {
    const { user, stream } = await knownOnB();
    // A stream on A too: once it has an event, the event is in the replay log (logged, then sent).
    const onA = track(await openStream(a, user));
    await outOfSyncOnB();
    await changeOnA(user, 'missed 1');
    await changeOnA(user, 'missed 2');
    await onA.next<Update>('user_updated', (data) => data.user.status_message === 'missed 2');
    // As after REPLAY_EVENTS newer events: the log keeps only the latest, the first missed is gone.
    const redis = a.app.get(RedisService);
    await redis.client?.ltrim(redis.key('events', 'log', user.id), -1, -1);

    await backInSyncOnB();
    const resync = await stream.next('resync', () => true, 2000);
    await changeOnA(user, 'after');
    await stream.next<Update>('user_updated', (data) => data.user.status_message === 'after');

    // Nothing missed is sent once the stream is told to reload; the next id follows the resync's.
    expect(stream.of('resync')).toHaveLength(1);
    const updates = stream.of('user_updated');
    expect(updates.map((event) => (event.data as Update).user.status_message)).toEqual(['after']);
    expect(Number(updates[0].id)).toBeGreaterThan(Number(resync.id));
    expect(stream.ended).toBe(false);
  }, 60_000);

  it('an instance whose subscriber gets no answer when it subscribes again after a reconnect keeps running, and is back in sync once Redis answers', async () => {
    // An instance of its own, through its own proxy: the others' connections are left alone.
    const redis = new URL(environment.vars.REDIS_URL);
    const ownProxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
    const c = await startApp(environment, { REDIS_URL: `redis://127.0.0.1:${ownProxy.port}` });
    try {
      await waitFor(async () => (await c.http().get('/health/ready')).status === 200, 'C to be ready');
      // Its connections drop; the subscriber's SUBSCRIBE on the new connection gets no answer.
      ownProxy.cut();
      ownProxy.restore();
      ownProxy.stall(isSubscribing);
      await waitFor(() => ownProxy.stalledCount() === 1, 'the new subscriber connection to subscribe');
      // Past the command timeout: the SUBSCRIBE fails. Left unhandled (as ioredis does when it
      // subscribes again by itself), that failure ends the process, and this test with it.
      await new Promise((done) => setTimeout(done, REDIS_COMMAND_TIMEOUT_MS + 1000));
      expect((await c.http().get('/health/ready')).status).toBe(503);

      ownProxy.release(isSubscribing);
      await waitFor(
        async () => (await c.http().get('/health/ready')).status === 200,
        'C to be back in sync',
        30_000,
      );
      // The bus reaches it again: a logout on A ends the session's stream on C.
      const user = await createUser(a);
      const stream = track(await openStream(c, user));
      await a.http().post('/api/v1/auth/logout').set(user.auth).send({}).expect(200);
      await waitFor(() => stream.ended, 'the bus to close the stream on C', 3000);
    } finally {
      await c.close();
      await ownProxy.close();
    }
  }, 60_000);
});
