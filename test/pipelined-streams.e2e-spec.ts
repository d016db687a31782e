import { connect, type Socket } from 'node:net';
import { openStream, sseCode } from './support/friends.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import type { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

/** Sends `paths` as GET requests on one connection at once (pipelined); resolves once `until` was read. */
async function pipeline(
  t: TestApp,
  paths: string[],
  until: RegExp,
): Promise<{ socket: Socket; read: string }> {
  const { port } = new URL(t.url);
  const socket = connect(Number(port), '127.0.0.1');
  let read = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (read += chunk));
  socket.on('error', () => undefined);
  await new Promise<void>((done) => socket.once('connect', done));
  socket.write(
    paths
      .map((path) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`)
      .join(''),
  );
  await waitFor(() => until.test(read), `${until} on the pipelined connection`);
  return { socket, read };
}

async function isOnline(t: TestApp, user: TestUser): Promise<boolean> {
  const answer = await t.http().get(`/api/v1/users/${user.id}/last-seen`).set(user.auth).expect(200);
  return answer.body.is_online as boolean;
}

// A stream exists only while its socket does: a request queued behind another on the same
// connection (HTTP/1.1 pipelining) is no stream while it waits, and a hang-up leaves nothing open.
describe('event streams asked for twice on one connection', () => {
  let t: TestApp;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    t = await startApp(undefined, { MAX_STREAMS_PER_USER: '2', PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t?.close();
  });

  // The plain shape is the front door's; a trailing slash is the framework's route only.
  for (const [way, path] of [
    ['the front door', '/api/v1/events'],
    ['the framework route', '/api/v1/events/'],
  ]) {
    it(`a stream asked for behind another on its connection (${way}) holds no place, and a hang-up frees all`, async () => {
      const user = await createUser(t);
      const code = encodeURIComponent(await sseCode(t, user));
      const { socket, read } = await pipeline(t, [`${path}?code=${code}`, `${path}?code=${code}`], /retry: /);
      // The first is answered with a stream; the second waits for it to end (it never does).
      expect(read.match(/HTTP\/1\.1 200/g)).toHaveLength(1);
      expect(await isOnline(t, user)).toBe(true);
      // The request that waits is no stream: the user's second place is free for a real one.
      const elsewhere = await openStream(t, user);
      streams.push(elsewhere);

      socket.destroy();
      // The first place is free again; the stream on the other connection is still open.
      streams.push(await openStream(t, user));
      const third = await t
        .http()
        .get(`/api/v1/events?code=${code}`)
        .set('Accept', 'text/event-stream')
        .expect(429);
      expect(third.body.error.code).toBe('please_wait');
      expect(await isOnline(t, user)).toBe(true);

      streams.splice(0).forEach((stream) => stream.close());
      await waitFor(
        async () => !(await isOnline(t, user)),
        'the user to go offline once every stream closed',
      );
    });
  }

  it('a short request queued behind nothing but another short one is answered in turn', async () => {
    const user = await createUser(t);
    const code = encodeURIComponent(await sseCode(t, user));
    // A refused stream (a bad code) ends at once: the stream queued behind it is then answered.
    const { socket, read } = await pipeline(
      t,
      ['/api/v1/events?code=1.bad', `/api/v1/events?code=${code}`],
      /retry: /,
    );
    expect(read).toMatch(/^HTTP\/1\.1 401[\s\S]*HTTP\/1\.1 200/);
    expect(await isOnline(t, user)).toBe(true);
    socket.destroy();
    await waitFor(async () => !(await isOnline(t, user)), 'the user to go offline after the hang-up');
  });
});
