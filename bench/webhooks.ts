// Webhooks: `npm run build && node dist/bench/webhooks.js [--seconds=N] [--backlog=N]`.
// Deliveries a second from one instance to a local receiver that answers at once, and what one
// subscription adds to PATCH /me. SQLite by default; PostgreSQL when DATABASE_URL is set.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { call, createUsers, expectStatus, type BenchUser } from './api.js';
import { serviceEnv, startService } from './context.js';
import type { ServerProcess } from './processes.js';

const ADMIN_CLI = resolve('dist/src/cli/admin.js');

function option(name: string, fallback: number): number {
  const raw = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  return raw === undefined ? fallback : Number(raw);
}

/** A receiver that answers 204 at once and counts what it got, with the time of the first and last. */
async function startReceiver() {
  const seen = { count: 0, first: 0, last: 0 };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const now = performance.now();
      if (seen.count === 0) seen.first = now;
      seen.count += 1;
      seen.last = now;
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return { seen, url: `http://127.0.0.1:${port}/hooks`, close: () => server.close() };
}

/** PATCH /me by every user in turn, as fast as they are answered, for `seconds`. */
async function patchLoad(service: ServerProcess, users: BenchUser[], seconds: number) {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    users.map(async (user, index) => {
      for (let round = 0; performance.now() < until; round += 1) {
        const started = performance.now();
        await expectStatus(
          call(service.url, 'PATCH', '/api/v1/me', {
            token: user.accessToken,
            body: { status_message: `bench ${index}.${round}` },
          }),
          200,
          'PATCH /me',
        );
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (share: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))];
  return { perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

async function insertBacklog(env: Record<string, string>, endpointId: number, count: number): Promise<void> {
  const now = Date.now();
  const row = (n: number) => [
    endpointId,
    `msg_bench${n}`,
    'user.updated',
    JSON.stringify({
      type: 'user.updated',
      timestamp: new Date(now).toISOString(),
      data: { user: { id: n } },
    }),
    now,
    now,
  ];
  const sql = (p: string[]) =>
    `INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
     VALUES (${p[0]}, ${p[1]}, ${p[2]}, ${p[3]}, 'pending', 0, ${p[4]}, ${p[5]})`;
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    await client.query('BEGIN');
    for (let n = 0; n < count; n += 1) await client.query(sql(['$1', '$2', '$3', '$4', '$5', '$6']), row(n));
    await client.query('COMMIT');
    await client.end();
    return;
  }
  const db = new Database(join(env.DATA_DIR, 'unichat.sqlite'));
  const insert = db.prepare(sql(['?', '?', '?', '?', '?', '?']));
  db.transaction(() => {
    for (let n = 0; n < count; n += 1) insert.run(...row(n));
  })();
  db.close();
}

/** A schema of its own on the given PostgreSQL, dropped at the end. */
async function freshSchema(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_webhooks_${Date.now().toString(36)}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await run(`CREATE SCHEMA ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`DROP SCHEMA ${schema} CASCADE`) };
}

async function main(): Promise<void> {
  const seconds = option('seconds', 10);
  const backlog = option('backlog', 20_000);
  const root = mkdtempSync(join(tmpdir(), 'unichat-bench-webhooks-'));
  const database = process.env.DATABASE_URL ? await freshSchema(process.env.DATABASE_URL) : null;
  const env = serviceEnv(join(root, 'data'), {
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...(database ? { DATABASE_URL: database.url } : {}),
  });
  const receiver = await startReceiver();
  let service = await startService('service', env);
  try {
    const key = execFileSync(
      process.execPath,
      [ADMIN_CLI, 'service-keys', 'create', '--name', 'bench', '--scopes', 'admin'],
      { env: { PATH: process.env.PATH ?? '', ...env } },
    )
      .toString()
      .trim();
    const admin = async (method: string, path: string, body?: unknown) =>
      (
        await fetch(`${service.url}/api/v1/admin/webhooks${path}`, {
          method,
          headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      ).json() as Promise<{ endpoint: { id: number } }>;
    const users = await createUsers(service.url, join(env.DATA_DIR, 'mail'), 16, 'hook');
    const { endpoint } = await admin('POST', '', { url: receiver.url, event_types: ['user.updated'] });
    const rounds: Record<'without' | 'with', Awaited<ReturnType<typeof patchLoad>>[]> = {
      without: [],
      with: [],
    };
    for (let round = 0; round < 3; round += 1) {
      for (const state of ['without', 'with'] as const) {
        await admin('PATCH', `/${endpoint.id}`, { enabled: state === 'with' });
        rounds[state].push(await patchLoad(service, users, seconds));
      }
    }
    const best = (list: Awaited<ReturnType<typeof patchLoad>>[]) =>
      list.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const fmt = (r: Awaited<ReturnType<typeof patchLoad>>) =>
      `${r.perSecond.toFixed(0)}/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`;
    console.log(`PATCH /me, ${users.length} users at once, best of 3 × ${seconds} s:`);
    console.log(`  no subscription:            ${fmt(best(rounds.without))}`);
    console.log(`  one endpoint on user.updated: ${fmt(best(rounds.with))}`);
    console.log(`  every round: ${JSON.stringify(rounds)}`);

    await service.stop();
    const before = receiver.seen.count;
    await insertBacklog(env, endpoint.id, backlog);
    receiver.seen.count = 0;
    service = await startService('service', env);
    const deadline = Date.now() + 300_000;
    while (receiver.seen.count < backlog && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const elapsed = (receiver.seen.last - receiver.seen.first) / 1000;
    console.log(
      `backlog of ${backlog} deliveries from one instance: ${receiver.seen.count} in ${elapsed.toFixed(2)} s = ${(
        receiver.seen.count / elapsed
      ).toFixed(0)}/s (${before} delivered during the PATCH runs)`,
    );
  } finally {
    await service.stop();
    receiver.close();
    await database?.drop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
