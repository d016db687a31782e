// Webhooks (`npm run bench -- --only=webhooks`): deliveries a second to a local receiver that
// answers at once, from one instance (SQLite) and from two instances sharing PostgreSQL + Redis
// (each delivery counted by its webhook-id, so a repeat shows), and what one subscription adds to a
// PATCH /me: its latency at a steady rate well under capacity (what a user waits), and the most
// PATCHes a second (where the sending shares the two cores with the changes).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { call, createUsers, expectStatus, type BenchUser } from './api.js';
import { type BenchContext, serviceEnv, startService } from './context.js';
import { cpuMs, type ServerProcess } from './processes.js';
import { failed, median, notAvailable, percentile, round1, round2, row } from './report.js';

const ADMIN_CLI = resolve('dist/src/cli/admin.js');
/** PATCH /me a second in the steady-rate runs: a busy service, far from what two cores carry. */
const STEADY_RATE = 100;
/** Goal: a subscription adds at most this share to a PATCH /me. */
const GOAL = 0.1;

/** A receiver that answers 204 at once and counts each webhook-id it gets, with the first and last time. */
async function startReceiver() {
  const seen = { count: 0, first: 0, last: 0, ids: new Map<string, number>() };
  const server = createServer((request, response) => {
    const id = String(request.headers['webhook-id']);
    request.resume();
    request.on('end', () => {
      const now = performance.now();
      if (seen.count === 0) seen.first = now;
      seen.count += 1;
      seen.last = now;
      seen.ids.set(id, (seen.ids.get(id) ?? 0) + 1);
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    seen,
    url: `http://127.0.0.1:${port}/hooks`,
    reset() {
      seen.count = 0;
      seen.ids.clear();
    },
    close: () => server.close(),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

interface PatchRun {
  perSecond: number;
  p50: number;
  p99: number;
  /** The service's CPU time (all threads) over the run and the sending after it, per PATCH. */
  cpuMs?: number;
}

async function patch(service: ServerProcess, user: BenchUser, message: string): Promise<number> {
  const started = performance.now();
  await expectStatus(
    call(service.url, 'PATCH', '/api/v1/me', { token: user.accessToken, body: { status_message: message } }),
    200,
    'PATCH /me',
  );
  return performance.now() - started;
}

function summarize(latencies: number[], seconds: number): PatchRun {
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** PATCH /me by every user in turn, as fast as they are answered. */
async function patchFlat(service: ServerProcess, users: BenchUser[], seconds: number): Promise<PatchRun> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    users.map(async (user, index) => {
      for (let round = 0; performance.now() < until; round += 1)
        latencies.push(await patch(service, user, `flat ${index}.${round}`));
    }),
  );
  return summarize(latencies, seconds);
}

/** PATCH /me at STEADY_RATE a second, spread over the users, each answered before its user's next. */
async function patchSteady(service: ServerProcess, users: BenchUser[], seconds: number): Promise<PatchRun> {
  const latencies: number[] = [];
  const cpuBefore = cpuMs(service.pid);
  const total = STEADY_RATE * seconds;
  const started = performance.now();
  const busy = new Set<number>();
  const sent: Promise<void>[] = [];
  for (let n = 0; n < total; n += 1) {
    const due = started + (n * 1000) / STEADY_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    const index = n % users.length;
    if (busy.has(index)) continue; // that user's last change is still being answered
    busy.add(index);
    sent.push(
      patch(service, users[index], `steady ${n}`).then((ms) => {
        latencies.push(ms);
        busy.delete(index);
      }),
    );
  }
  await Promise.all(sent);
  // The deliveries of the last changes are sent (and their CPU counted) before the next run.
  await new Promise((done) => setTimeout(done, 300));
  return { ...summarize(latencies, seconds), cpuMs: (cpuMs(service.pid) - cpuBefore) / latencies.length };
}

/** The admin API with a key made by the operator CLI against the service's database. */
function adminOf(service: () => ServerProcess, env: Record<string, string>) {
  const key = execFileSync(
    process.execPath,
    [
      ADMIN_CLI,
      'service-keys',
      'create',
      '--name',
      `bench-${randomBytes(3).toString('hex')}`,
      '--scopes',
      'admin',
    ],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  )
    .toString()
    .trim();
  return async (method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${service().url}/api/v1/admin/webhooks${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!answer.ok) throw new Error(`admin ${method} ${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as { endpoint: { id: number } };
  };
}

/** Writes `count` due deliveries to the endpoint straight into the database, as many changes would. */
async function insertBacklog(env: Record<string, string>, endpointId: number, count: number): Promise<void> {
  const now = Date.now();
  const run = randomBytes(3).toString('hex');
  const values = (n: number) => [
    endpointId,
    `msg_bench${run}${n}`,
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
    try {
      await client.query('BEGIN');
      for (let n = 0; n < count; n += 1)
        await client.query(sql(['$1', '$2', '$3', '$4', '$5', '$6']), values(n));
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    return;
  }
  const db = new Database(join(env.DATA_DIR, 'unichat.sqlite'));
  const insert = db.prepare(sql(['?', '?', '?', '?', '?', '?']));
  db.transaction(() => {
    for (let n = 0; n < count; n += 1) insert.run(...values(n));
  })();
  db.close();
}

/** Waits until the receiver has `count` deliveries (or five minutes); answers deliveries a second. */
async function drained(receiver: Receiver, count: number) {
  const deadline = Date.now() + 300_000;
  while (receiver.seen.count < count && Date.now() < deadline)
    await new Promise((done) => setTimeout(done, 50));
  const seconds = (receiver.seen.last - receiver.seen.first) / 1000;
  const repeated = [...receiver.seen.ids.values()].filter((times) => times > 1).length;
  return {
    received: receiver.seen.count,
    distinct: receiver.seen.ids.size,
    repeated,
    perSecond: receiver.seen.count / seconds,
  };
}

/**
 * One instance, on the given database: what a subscription adds to PATCH /me (steady rate and
 * flat out, rounds alternating without and with it), then a backlog drained.
 */
async function oneInstance(
  context: BenchContext,
  label: 'sqlite' | 'postgres',
  env: Record<string, string>,
  receiver: Receiver,
): Promise<void> {
  const seconds = context.options.quick ? 4 : 8;
  const rounds = context.options.quick ? 2 : 3;
  const backlog = context.options.quick ? 5_000 : 20_000;
  let service = await startService(`webhooks-${label}`, env);
  try {
    const admin = adminOf(() => service, env);
    const users = await createUsers(service.url, join(env.DATA_DIR, 'mail'), 16, `hook${label}`);
    const { endpoint } = await admin('POST', '', { url: receiver.url, event_types: ['user.updated'] });
    const steady: Record<'without' | 'with', PatchRun[]> = { without: [], with: [] };
    const flat: Record<'without' | 'with', PatchRun[]> = { without: [], with: [] };
    // A warm-up with the subscription, so the first measured round does not pay the JIT's work.
    await patchSteady(service, users, 2);
    for (let round = 0; round < rounds; round += 1) {
      for (const state of ['without', 'with'] as const) {
        await admin('PATCH', `/${endpoint.id}`, { enabled: state === 'with' });
        steady[state].push(await patchSteady(service, users, seconds));
        flat[state].push(await patchFlat(service, users, seconds));
      }
    }
    // Each state's best round: the machine's other work falls on both alike.
    const bestP50 = (runs: PatchRun[]) => Math.min(...runs.map((run) => run.p50));
    const bestRate = (runs: PatchRun[]) => Math.max(...runs.map((run) => run.perSecond));
    const added = bestP50(steady.with) / bestP50(steady.without) - 1;
    // CPU a PATCH, median of the rounds: what a busy machine distorts least.
    const cpu = (runs: PatchRun[]) => median(runs.map((run) => run.cpuMs ?? 0));
    const lost = 1 - bestRate(flat.with) / bestRate(flat.without);
    const database = label === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    context.rows.push(
      row(
        `webhooks-patch-${label}`,
        `PATCH /me with a webhook subscription, ${database}, ${STEADY_RATE}/s`,
        `p50 ${round2(bestP50(steady.with))} ms vs ${round2(bestP50(steady.without))} ms without: ` +
          `${added >= 0 ? '+' : ''}${round1(added * 100)} %; flat out ${Math.round(bestRate(flat.with))}/s vs ` +
          `${Math.round(bestRate(flat.without))}/s (${round1(lost * 100)} % fewer, the sending on the same cores); ` +
          `service CPU ${round2(cpu(steady.with))} ms a PATCH vs ${round2(cpu(steady.without))} ms`,
        `≤ +${GOAL * 100} % at ${STEADY_RATE}/s`,
        added <= GOAL ? 'pass' : 'FAIL',
        { steady, flat, seconds, users: users.length },
      ),
    );

    // The deliveries of the PATCH runs are all in before the backlog is counted.
    for (let last = -1; receiver.seen.count !== last;) {
      last = receiver.seen.count;
      await new Promise((done) => setTimeout(done, 1000));
    }
    await service.stop();
    await insertBacklog(env, endpoint.id, backlog);
    receiver.reset();
    service = await startService(`webhooks-${label}`, env);
    const drain = await drained(receiver, backlog);
    context.rows.push(
      row(
        `webhooks-deliveries-${label}`,
        `webhook deliveries from one instance, ${database}`,
        `${Math.round(drain.perSecond)}/s (${drain.received} of a backlog of ${backlog}, ${drain.repeated} repeated)`,
        '≥ 500/s',
        drain.perSecond >= 500 && drain.received === backlog ? 'pass' : 'FAIL',
        drain,
      ),
    );
  } finally {
    await service.stop();
  }
}

/** Two instances on one PostgreSQL schema and Redis prefix drain one backlog together. */
async function twoInstances(context: BenchContext, receiver: Receiver): Promise<void> {
  const backlog = context.options.quick ? 10_000 : 40_000;
  const database = await freshSchema(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  const env = serviceEnv(join(context.root, 'webhooks-cluster'), {
    WEBHOOK_ALLOW_PRIVATE: 'true',
    DATABASE_URL: database.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `bench:webhooks:${randomBytes(4).toString('hex')}:`,
  });
  const servers: ServerProcess[] = [];
  try {
    // The first start runs the migrations; the endpoint is made through it.
    servers.push(await startService('webhooks-a', env));
    const admin = adminOf(() => servers[0], env);
    const { endpoint } = await admin('POST', '', { url: receiver.url, event_types: ['user.updated'] });
    await servers.pop()?.stop();
    await insertBacklog(env, endpoint.id, backlog);
    receiver.reset();
    servers.push(...(await Promise.all([startService('webhooks-a', env), startService('webhooks-b', env)])));
    const drain = await drained(receiver, backlog);
    context.rows.push(
      row(
        'webhooks-deliveries-cluster',
        'webhook deliveries from two instances, PostgreSQL + Redis',
        `${Math.round(drain.perSecond)}/s (${drain.distinct} distinct of a backlog of ${backlog}, ` +
          `${drain.repeated} sent twice)`,
        '≥ 500/s, each once',
        drain.perSecond >= 500 && drain.distinct === backlog && drain.repeated === 0 ? 'pass' : 'FAIL',
        drain,
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  }
}

/** A schema of its own on the given PostgreSQL, dropped at the end. */
async function freshSchema(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_webhooks_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`DROP SCHEMA ${schema} CASCADE`) };
}

export async function measureWebhooks(context: BenchContext): Promise<void> {
  const receiver = await startReceiver();
  try {
    for (const label of ['sqlite', 'postgres'] as const) {
      let database: Awaited<ReturnType<typeof freshSchema>> | null = null;
      try {
        if (label === 'postgres')
          database = await freshSchema(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
        const env = serviceEnv(join(context.root, `webhooks-${label}`), {
          WEBHOOK_ALLOW_PRIVATE: 'true',
          ...(database ? { DATABASE_URL: database.url } : {}),
        });
        await oneInstance(context, label, env, receiver);
      } catch (error) {
        context.rows.push(failed(`webhooks-patch-${label}`, `webhooks on ${label}`, '', error));
      } finally {
        await database?.drop();
      }
    }
    try {
      await twoInstances(context, receiver);
    } catch (error) {
      const message = (error as Error).message;
      context.rows.push(
        /ECONNREFUSED/.test(message)
          ? notAvailable(
              'webhooks-deliveries-cluster',
              'webhook deliveries, two instances',
              '≥ 500/s',
              message,
            )
          : failed('webhooks-deliveries-cluster', 'webhook deliveries, two instances', '', error),
      );
    }
  } finally {
    receiver.close();
  }
}
