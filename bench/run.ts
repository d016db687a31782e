// The benchmark suite: `npm run bench [-- --quick] [-- --big] [-- --cluster] [-- --profile]`.
// Every server runs in its own child process on loopback; the load generator and the stream client
// run here. Prints a table and writes bench/results/latest.json (and <mode>.json).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createUsers, routeExists } from './api.js';
import {
  type BenchContext,
  type BenchOptions,
  serviceEnv,
  startBenchServer,
  startService,
} from './context.js';
import { measureHttp } from './http-scenarios.js';
import { measurePush } from './push.js';
import { measureSignIn } from './sign-in.js';
import { measureWebhooks } from './webhooks.js';
import { HELLO_PATH, type ServerProcess } from './processes.js';
import { machineInfo, notAvailable, table } from './report.js';
import { soak } from './soak.js';
import {
  befriend,
  measureBareStreams,
  measureClusterFanOut,
  measureStreams,
  streamRowsNotAvailable,
  streamsMissing,
} from './stream-scenarios.js';

const USAGE = `npm run bench -- [options]
  --quick         2 s load runs (default 5 s), 3 fan-out rounds
  --big           10,000 streams (fan-out, idle memory and lag); default: as many as --users
  --cluster       only the fan-out, on two instances with PostgreSQL and Redis: streams on
                  instance A, then on B, the change always made on A
  --soak[=S]      only the soak: --users users × 3 streams on two instances (PostgreSQL + Redis),
                  50 friends each; per second 100 changes, 200 reads and 10 reconnects for 5,000
                  users (in proportion for fewer) and a login, for S seconds (default 600)
  --profile       CPU profiles of the server during each load run (bench/results/profiles/)
  --heap-snapshots  heap snapshots of the service before and after the idle streams open
                  (bench/results/profiles/idle-*.heapsnapshot), and what grew per stream
  --users=N       friends of the user whose PATCH fans out (default 1000)
  --streams=N     streams to open (default: --users, or 10000 with --big)
  --only=LIST     phases to run: baselines,http,streams,sign-in,push,webhooks (default all;
                  webhooks also uses PostgreSQL and Redis when they answer)
  --targets=LIST  only these request/response targets, by key (e.g. baseline-b,users-batch)
  --connections=N autocannon connections (default 50)
  --rounds=N      interleaved rounds of each request/response run (default 3, 2 with --quick)
  --stream-log-level=info|warn  LOG_LEVEL of the service in the stream scenarios (default info,
                  the service's default; the request/response scenarios measure both)`;

function parseOptions(argv: string[]): { options: BenchOptions; phases: Set<string> } {
  const flags = new Set(argv.filter((arg) => !arg.includes('=')));
  const values = new Map(
    argv
      .filter((arg) => arg.includes('='))
      .map((arg) => arg.replace(/^--/, '').split('=') as [string, string]),
  );
  if (flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const flag of flags) {
    if (!['--quick', '--big', '--cluster', '--soak', '--profile', '--heap-snapshots'].includes(flag)) {
      console.error(`unknown option ${flag}\n${USAGE}`);
      process.exit(64);
    }
  }
  const number = (name: string, fallback: number) => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) {
      console.error(`--${name} must be a positive whole number\n${USAGE}`);
      process.exit(64);
    }
    return Number(raw);
  };
  const streamLogLevel = values.get('stream-log-level') ?? 'info';
  if (streamLogLevel !== 'info' && streamLogLevel !== 'warn') {
    console.error(`--stream-log-level must be info or warn\n${USAGE}`);
    process.exit(64);
  }
  const quick = flags.has('--quick');
  const big = flags.has('--big');
  const users = number('users', 1000);
  const options: BenchOptions = {
    quick,
    big,
    cluster: flags.has('--cluster'),
    profile: flags.has('--profile'),
    heapSnapshots: flags.has('--heap-snapshots'),
    duration: quick ? 2 : 5,
    warmup: quick ? 0.5 : 1,
    connections: number('connections', 50),
    httpRounds: number('rounds', quick ? 2 : 3),
    users,
    streams: number('streams', big ? 10_000 : users),
    rounds: quick ? 3 : 5,
    heartbeatSeconds: quick ? 2 : 5,
    streamLogLevel,
    targets: values.get('targets')?.split(',') ?? null,
    soakSeconds: flags.has('--soak') ? 600 : values.has('soak') ? number('soak', 600) : null,
  };
  if (options.soakSeconds !== null) options.cluster = true;
  const phases = new Set((values.get('only') ?? 'baselines,http,streams,sign-in,push,webhooks').split(','));
  return { options, phases };
}

// The table follows this order: baselines, the layers between B and C, then the scenarios.
const ORDER = [
  'baseline-a',
  'baseline-b',
  'baseline-c',
  'layer-express-middleware',
  'layer-nest',
  'layer-nest-als',
  'layer-nest-pino',
  'layer-app-info',
  'floor-users-id',
  'floor-me',
  'floor-users-batch',
  'floor-users-search',
  'users-id',
  'me',
  'users-id-304',
  'users-batch',
  'users-search',
  'users-id-warn',
  'me-warn',
  'users-id-304-warn',
  'users-batch-warn',
  'users-search-warn',
  'login',
  'fanout',
  'fanout-bare',
  'fanout-big',
  'fanout-big-bare',
  'idle-rss',
  'idle-rss-bare',
  'idle-lag',
  'presence',
  'streams',
  'sign-in-totp',
  'sign-in-passkey',
  'push-fcm',
  'push-web',
  'push-web-crypto',
  'webhooks-patch-sqlite',
  'webhooks-deliveries-sqlite',
  'webhooks-patch-postgres',
  'webhooks-deliveries-postgres',
  'webhooks-deliveries-cluster',
  'cluster-fanout-single',
  'cluster-fanout',
  'soak',
];

async function single(context: BenchContext, phases: Set<string>): Promise<void> {
  const dataDir = join(context.root, 'service');
  const mailDir = join(dataDir, 'mail');
  let service: ServerProcess | null = await startService('service', serviceEnv(dataDir));
  try {
    const [hub, loginUser] = await createUsers(service.url, mailDir, 2, 'hub');
    if (phases.has('baselines') || phases.has('http'))
      await measureHttp(context, service, hub, loginUser, phases);
    if (!phases.has('streams')) return;
    const missing = await streamsMissing(service.url, hub);
    const noContacts = !missing && !(await routeExists(service.url, 'POST', '/api/v1/contacts'));
    const why = missing ?? (noContacts ? 'POST /contacts answers 404' : null);
    if (why) {
      streamRowsNotAvailable(context, why);
      return;
    }
    await measureBareStreams(context);
    const setup = await befriend(context, service.url, mailDir, hub, context.options.users);
    context.notes.push(
      `setting up ${context.options.users} friends through the API took ${setup.setupSeconds} s ` +
        `(register + confirm ${setup.registerSeconds} s; one argon2 hash per user)`,
    );
    await service.stop();
    // A fresh process, so that the memory counted per stream is not hidden in a heap grown by setup.
    service = await startService(
      'service-streams',
      serviceEnv(dataDir, {
        SSE_HEARTBEAT_SECONDS: String(context.options.heartbeatSeconds),
        LOG_LEVEL: context.options.streamLogLevel,
      }),
    );
    context.notes.push(`stream scenarios: the service at LOG_LEVEL=${context.options.streamLogLevel}`);
    await measureStreams(context, service, { hub, friends: setup.friends, setupSeconds: setup.setupSeconds });
  } finally {
    await service?.stop();
  }
}

async function cluster(context: BenchContext): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const id = randomBytes(4).toString('hex');
  const schema = `bench_${id}`;
  const prefix = `bench:${id}:`;
  const withPg = async (sql: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await withPg(`CREATE SCHEMA ${schema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dataDir = join(context.root, 'cluster');
  const env = serviceEnv(dataDir, {
    DATABASE_URL: url.toString(),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    SSE_HEARTBEAT_SECONDS: String(context.options.heartbeatSeconds),
  });
  const servers: ServerProcess[] = [];
  try {
    // One after the other: the first runs the migrations.
    servers.push(await startService('cluster-a', env));
    servers.push(await startService('cluster-b', env));
    if (context.options.soakSeconds !== null) {
      const users = await createUsers(servers[0].url, join(dataDir, 'mail'), context.options.users, 'soak');
      // The day of 5,000 users (100 changes and 200 reads a second), in proportion to the users.
      const scale = Math.min(1, context.options.users / 5000);
      await soak(context, servers, users, context.options.soakSeconds, {
        changesPerSecond: Math.max(2, Math.round(100 * scale)),
        readsPerSecond: Math.max(4, Math.round(200 * scale)),
        reconnectsPerSecond: Math.max(1, Math.round(10 * scale)),
        loginsPerSecond: 1,
        blocksPerSecond: Math.max(1, Math.round(5 * scale)),
      });
      return;
    }
    const [hub] = await createUsers(servers[0].url, join(dataDir, 'mail'), 1, 'hub');
    const noContacts = !(await routeExists(servers[0].url, 'POST', '/api/v1/contacts'));
    const missing =
      (await streamsMissing(servers[0].url, hub)) ?? (noContacts ? 'POST /contacts answers 404' : null);
    if (missing) {
      context.rows.push(
        notAvailable('cluster-fanout', 'cluster: fan-out, 2 instances', 'p99 < 50 ms at 10,000', missing),
      );
      return;
    }
    const setup = await befriend(context, servers[0].url, join(dataDir, 'mail'), hub, context.options.users);
    context.notes.push(`cluster: setting up ${context.options.users} friends took ${setup.setupSeconds} s`);
    await measureClusterFanOut(context, servers, {
      hub,
      friends: setup.friends,
      setupSeconds: setup.setupSeconds,
    });
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await withPg(`DROP SCHEMA ${schema} CASCADE`).catch((error: Error) =>
      context.log(`drop schema: ${error.message}`),
    );
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      // In slices: a soak leaves ~270,000 keys, too many for one call's arguments.
      for (let start = 0; start < keys.length; start += 1000)
        await redis.del(...keys.slice(start, start + 1000));
    } catch (error) {
      context.log(`redis clean-up: ${(error as Error).message}`);
    } finally {
      redis.disconnect();
    }
  }
}

async function main(): Promise<void> {
  const { options, phases } = parseOptions(process.argv.slice(2));
  const mode =
    options.soakSeconds !== null
      ? 'soak'
      : options.cluster
        ? 'cluster'
        : options.big
          ? 'big'
          : options.quick
            ? 'quick'
            : 'default';
  const resultsDir = resolve('bench/results');
  mkdirSync(join(resultsDir, 'profiles'), { recursive: true });
  const root = mkdtempSync(join(tmpdir(), 'unichat-bench-'));
  const started = Date.now();
  const context: BenchContext = {
    options,
    root,
    resultsDir,
    rows: [],
    profiles: [],
    control: null,
    notes: [],
    log: (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`),
  };
  const machine = machineInfo();
  context.log(`${mode} run on ${machine.cpuModel} × ${machine.cores}, node ${machine.node}; data in ${root}`);

  const finish = (aborted: string | null) => {
    const rank = (key: string) => (ORDER.includes(key) ? ORDER.indexOf(key) : ORDER.length);
    context.rows.sort((a, b) => rank(a.key) - rank(b.key));
    const output = {
      mode,
      options,
      machine,
      startedAt: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      aborted,
      rows: context.rows,
      notes: context.notes,
      profiles: context.profiles,
    };
    const json = JSON.stringify(output, null, 2);
    writeFileSync(join(resultsDir, 'latest.json'), json);
    writeFileSync(join(resultsDir, `${mode}.json`), json);
    console.log('\n' + table(context.rows));
    for (const note of context.notes) console.log(`note: ${note}`);
    if (aborted) console.log(`ABORTED: ${aborted}`);
    console.log(`\nresults: bench/results/latest.json (and ${mode}.json)`);
    rmSync(root, { recursive: true, force: true });
  };

  // Whatever happens, the run ends: the children stop with this process (see processes.ts).
  const limitMinutes = (options.big ? 45 : 25) + Math.ceil((options.soakSeconds ?? 0) / 60);
  const watchdog = setTimeout(() => {
    finish(`the run took longer than ${limitMinutes} minutes`);
    process.exit(2);
  }, limitMinutes * 60_000);

  try {
    context.control = await startBenchServer('control', 'node-http', {}, HELLO_PATH);
    if (options.cluster) await cluster(context);
    else {
      if (['baselines', 'http', 'streams'].some((phase) => phases.has(phase))) await single(context, phases);
      // Each on a service (or providers) of its own, after the main service has stopped.
      if (phases.has('sign-in')) await measureSignIn(context);
      if (phases.has('push')) await measurePush(context);
      if (phases.has('webhooks')) await measureWebhooks(context);
    }
    finish(null);
  } catch (error) {
    finish((error as Error).stack ?? String(error));
    process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await context.control?.stop();
  }
}

void main();
