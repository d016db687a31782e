import { type ChildProcess, spawn } from 'node:child_process';
import { startDeployment } from './support/deployment.js';
import { sseCode, streamOfCode } from './support/friends.js';
import { createUser } from './support/harness.js';
import type { SseClient } from './support/sse-client.js';
import { freePort } from './support/process.js';
import { waitFor } from './support/wait.js';

/** A Redis of the test's own, on a free port, that the test can kill and start again. */
class TestRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('Ready to accept connections'), 'redis-server to start', 10_000);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }
}

// Two instances share the database and a Redis that goes away and comes back.
describe('Redis unreachable and back', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = new TestRedis(await freePort());
    await redis.start();
  });
  const { a, b } = startDeployment({
    vars: () => ({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_PREFIX: `fault:${redis.port}:` }),
    instances: 2,
  });
  afterAll(async () => {
    await redis?.kill();
  });

  it('keeps a revocation made while Redis is down in force on every instance, also after it is back', async () => {
    const user = await createUser(a);
    const other = await createUser(a);
    await b.http().get('/api/v1/me').set(user.auth).expect(200);
    await a.http().get('/api/v1/me').set(user.auth).expect(200);

    await redis.kill();
    // The revocation is written to the database; the bus cannot carry it now.
    const logout = await a.http().post('/api/v1/auth/logout').set(user.auth).send({});
    // Fail closed: the logout is in force everywhere (instances that cannot hear the bus read the
    // database), so it is answered as done.
    expect(logout.status).toBe(200);
    for (const app of [a, b]) {
      const response = await app.http().get('/api/v1/me').set(user.auth);
      expect(response.status).toBe(401);
    }
    // A live session still works meanwhile (read from the database).
    await b.http().get('/api/v1/me').set(other.auth).expect(200);

    await redis.start();
    for (const app of [a, b]) {
      await waitFor(
        async () => (await app.http().get('/health/ready')).status === 200,
        'Redis to be back',
        10_000,
      );
    }
    await waitFor(
      async () => (await b.http().post('/api/v1/tokens/sse-code').set(other.auth)).status === 200,
      'the service to answer with Redis again',
      10_000,
    );
    for (const app of [a, b]) {
      const response = await app.http().get('/api/v1/me').set(user.auth);
      expect(response.status).toBe(401);
    }
  });

  it('ends a stream whose start cannot be read from the event log, rather than holding it open and silent', async () => {
    const user = await createUser(a);
    const code = await sseCode(a, user);
    await redis.kill();
    let stream: SseClient | null = null;
    try {
      stream = await streamOfCode(a, code);
      // Ended: its client reconnects (resuming from its last id) instead of waiting on a stream
      // that would get none of its events, while the instance kept them for it in memory.
      await waitFor(() => stream?.ended === true, 'the stream to end', 15_000);
      expect(stream.events).toEqual([]);
    } finally {
      stream?.close();
      await redis.start();
    }
  });
});
