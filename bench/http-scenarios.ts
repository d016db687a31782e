import { join } from 'node:path';
import { type BenchUser, call, createUsers, PASSWORD, routeExists } from './api.js';
import {
  type BenchContext,
  loadServer,
  type Measured,
  serviceEnv,
  startBenchServer,
  startService,
} from './context.js';
import type { LoadOptions } from './load.js';
import { HELLO_PATH, type ServerProcess } from './processes.js';
import { failed, notAvailable, round2, row, type Verdict } from './report.js';

interface Variant {
  key: string;
  kind: string;
  scenario: string;
  env?: Record<string, string>;
  /** The variant this one adds a layer to: its cost is the difference in time per request. */
  over?: string;
}

// Baselines A, B, C, and the steps between B and C that say what each layer costs.
const VARIANTS: Variant[] = [
  { key: 'baseline-a', kind: 'node-http', scenario: 'baseline A: bare node:http, small JSON' },
  { key: 'baseline-b', kind: 'express', scenario: 'baseline B: bare Express 5, same JSON' },
  {
    key: 'baseline-c',
    kind: 'app',
    scenario: 'baseline C: hello route inside our app',
    over: 'layer-nest-pino',
  },
  {
    key: 'layer-express-middleware',
    kind: 'express-layers',
    scenario: '  layer: B + helmet, CORS, JSON parser',
    over: 'baseline-b',
  },
  { key: 'layer-nest', kind: 'nest', scenario: '  layer: Nest on Express, hello only', over: 'baseline-b' },
  {
    key: 'layer-nest-als',
    kind: 'nest-als',
    scenario: '  layer: Nest + AsyncLocalStorage per request',
    over: 'layer-nest',
  },
  {
    key: 'layer-nest-pino',
    kind: 'nest-pino',
    scenario: '  layer: Nest + request logger (warn)',
    over: 'layer-nest',
  },
  {
    key: 'layer-app-info',
    kind: 'app',
    scenario: '  layer: C with LOG_LEVEL=info',
    env: { LOG_LEVEL: 'info' },
    over: 'baseline-c',
  },
];

/** Microseconds of one request when the server's single thread is saturated. */
const microsPerRequest = (rps: number) => (rps > 0 ? 1e6 / rps : NaN);

interface Target {
  key: string;
  scenario: string;
  server: ServerProcess;
  load: Omit<LoadOptions, 'duration' | 'warmup' | 'connections'>;
  runs: Measured[];
  /** Target of the ratio to B, if any. */
  minimum?: number;
  over?: string;
}

const LOGIN_SCENARIO = 'POST /api/v1/auth/login';
/** Users the batch lookup asks for at once. */
const BATCH_SIZE = 50;
/** The best run of a target: on a shared machine the least disturbed run is closest to capacity. */
const best = (target: Target) => target.runs.reduce((a, b) => (b.load.rps > a.load.rps ? b : a));

/**
 * Baselines A, B, C, the layers between B and C, GET /users/:id and GET /me: all servers run side
 * by side, and the runs are interleaved round by round, so that noise from other work on the
 * machine falls on every target alike; each target's best round counts. Then the logins.
 */
export async function measureHttp(
  context: BenchContext,
  service: ServerProcess,
  hub: BenchUser,
  loginUser: BenchUser,
  phases: Set<string>,
): Promise<void> {
  const started: ServerProcess[] = [];
  const targets: Target[] = [];
  try {
    if (phases.has('baselines')) {
      for (const variant of VARIANTS) {
        try {
          const env = serviceEnv(join(context.root, variant.key), variant.env);
          const server = await startBenchServer(variant.key, variant.kind, env, HELLO_PATH);
          started.push(server);
          targets.push({ ...variant, server, load: { url: server.url + HELLO_PATH }, runs: [] });
        } catch (error) {
          context.rows.push(failed(variant.key, variant.scenario, '', error));
        }
      }
    }
    if (phases.has('http')) await addServiceTargets(context, service, hub, targets, started);

    for (let round = 0; round < context.options.httpRounds; round += 1) {
      for (const target of targets) {
        try {
          target.runs.push(
            await loadServer(context, target.server, target.key, {
              ...target.load,
              warmup: round === 0 ? context.options.warmup : 0,
              profile: context.options.profile && round === context.options.httpRounds - 1,
            }),
          );
        } catch (error) {
          context.log(`${target.key}: ${(error as Error).message}`);
        }
      }
    }
    report(context, targets);

    if (phases.has('http')) await measureLogin(context, service, loginUser);
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

/**
 * The service's routes at both log levels, side by side: `info` (the default, one line a request:
 * the goals are judged there) on a service of its own, and `warn` on the main bench service.
 */
async function addServiceTargets(
  context: BenchContext,
  service: ServerProcess,
  hub: BenchUser,
  targets: Target[],
  started: ServerProcess[],
): Promise<void> {
  if (!(await routeExists(service.url, 'GET', `/api/v1/users/${hub.id}`))) {
    context.rows.push(notAvailable('users-id', 'GET /api/v1/users/:id', '≥ 0.65 × B', 'route answers 404'));
    return;
  }
  let info: { server: ServerProcess; hub: BenchUser; others: BenchUser[] } | null = null;
  try {
    const dataDir = join(context.root, 'service-info');
    const server = await startService('service-info', serviceEnv(dataDir, { LOG_LEVEL: 'info' }));
    started.push(server);
    const [infoHub, ...others] = await createUsers(server.url, join(dataDir, 'mail'), BATCH_SIZE, 'info');
    info = { server, hub: infoHub, others };
  } catch (error) {
    context.rows.push(failed('users-id', 'service at LOG_LEVEL=info', '', error));
  }
  const warnOthers = await createUsers(
    service.url,
    join(context.root, 'service', 'mail'),
    BATCH_SIZE - 1,
    'batch',
  ).catch(() => [] as BenchUser[]);
  const levels = [
    ...(info ? [{ level: 'info', suffix: '', server: info.server, hub: info.hub, others: info.others }] : []),
    { level: 'warn', suffix: '-warn', server: service, hub, others: warnOthers },
  ];
  for (const { level, suffix, server, hub: user, others } of levels) {
    const atInfo = level === 'info';
    const auth = { Authorization: `Bearer ${user.accessToken}` };
    const userPath = `/api/v1/users/${user.id}`;
    targets.push({
      key: `users-id${suffix}`,
      scenario: `GET /api/v1/users/:id (public record), LOG_LEVEL=${level}`,
      server,
      load: { url: server.url + userPath },
      runs: [],
      ...(atInfo ? { minimum: 0.65 } : { over: 'users-id' }),
    });
    targets.push({
      key: `me${suffix}`,
      scenario: `GET /api/v1/me with a JWT, LOG_LEVEL=${level}`,
      server,
      load: { url: server.url + '/api/v1/me', headers: auth },
      runs: [],
      ...(atInfo ? { minimum: 0.6 } : { over: 'me' }),
    });
    const tag = (await call(server.url, 'GET', userPath, { token: user.accessToken })).etag;
    if (tag) {
      targets.push({
        key: `users-id-304${suffix}`,
        scenario: `  GET /api/v1/users/:id with If-None-Match: 304, LOG_LEVEL=${level}`,
        server,
        load: { url: server.url + userPath, headers: { ...auth, 'If-None-Match': tag }, expectStatus: 304 },
        runs: [],
        over: `users-id${suffix}`,
      });
    }
    if (others.length > 0) {
      const ids = [user, ...others].map((other) => other.id).join(',');
      targets.push({
        key: `users-batch${suffix}`,
        scenario: `  GET /api/v1/users?ids= (${others.length + 1} users), LOG_LEVEL=${level}`,
        server,
        load: { url: `${server.url}/api/v1/users?ids=${ids}`, headers: auth },
        runs: [],
        over: `users-id${suffix}`,
      });
    }
  }
}

function report(context: BenchContext, targets: Target[]): void {
  const measured = targets.filter((target) => target.runs.length > 0);
  const byKey = new Map(measured.map((target) => [target.key, target]));
  for (const target of targets) {
    if (target.runs.length === 0) {
      context.rows.push(failed(target.key, target.scenario, '', new Error('no run completed')));
    }
  }
  const b = byKey.get('baseline-b');
  const bRps = b ? best(b).load.rps : 0;
  for (const target of measured) {
    const top = best(target);
    const { rps, non2xx, errors, latencyP99 } = top.load;
    const over = target.over ? byKey.get(target.over) : undefined;
    const cost = over ? microsPerRequest(rps) - microsPerRequest(best(over).load.rps) : NaN;
    const ratio = bRps ? rps / bRps : NaN;
    const parts = [`${rps} req/s`];
    if (target.key !== 'baseline-a' && target.key !== 'baseline-b') parts.push(`= ${round2(ratio)} × B`);
    if (target.minimum !== undefined) parts.push(`; p99 ${latencyP99} ms`);
    if (Number.isFinite(cost))
      parts.push(`(${cost >= 0 ? '+' : ''}${Math.round(cost)} µs/req over ${target.over})`);
    if (non2xx || errors) parts.push(`; ${non2xx} non-2xx, ${errors} errors`);
    let verdict: Verdict = 'report';
    let goal = target.key.startsWith('baseline') ? 'reference' : 'report';
    if (target.key === 'baseline-c') goal = 'report (÷ B)';
    if (target.minimum !== undefined) {
      goal = `≥ ${target.minimum.toFixed(2)} × B`;
      // Without B in this run (--only) there is nothing to judge against.
      if (bRps) verdict = ratio >= target.minimum && non2xx === 0 && errors === 0 ? 'pass' : 'FAIL';
    }
    context.rows.push(
      row(target.key, target.scenario, parts.join(' '), goal, verdict, {
        best: top,
        roundsRps: target.runs.map((run) => run.load.rps),
        microsPerRequest: round2(microsPerRequest(rps)),
        ratioToB: bRps ? round2(ratio) : null,
      }),
    );
  }
  if (b && b.runs.length > 1) {
    const values = b.runs.map((run) => run.load.rps);
    const spread = (Math.max(...values) - Math.min(...values)) / Math.max(...values);
    if (spread > 0.2) {
      context.notes.push(
        `baseline B varied by ${Math.round(spread * 100)}% between rounds (${values.join(', ')} req/s): ` +
          "the machine was busy; ratios use each target's best round",
      );
    }
  }
}

async function measureLogin(
  context: BenchContext,
  service: ServerProcess,
  loginUser: BenchUser,
): Promise<void> {
  const target = '≥ 30/s; lag p99 < 50 ms';
  try {
    // One email from one address: the service checks at most 5 of its passwords at once (the
    // failed-check limit takes its place before the hash), and hashes one per core anyway.
    const measured = await loadServer(context, service, 'login', {
      url: service.url + '/api/v1/auth/login',
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: loginUser.email, password: PASSWORD }),
      connections: 5,
    });
    const { rps, non2xx, errors } = measured.load;
    const ok = rps >= 30 && measured.lag.p99 < 50 && non2xx === 0 && errors === 0;
    context.rows.push(
      row(
        'login',
        LOGIN_SCENARIO,
        `${rps} logins/s; p99 ${measured.load.latencyP99} ms; server lag p99 ${measured.lag.p99} ms` +
          ` (max ${measured.lag.max}; idle control process ${measured.controlLag?.p99 ?? '?'})` +
          (non2xx || errors ? `; ${non2xx} non-2xx, ${errors} errors` : ''),
        target,
        ok ? 'pass' : 'FAIL',
        { ...measured },
      ),
    );
  } catch (error) {
    context.rows.push(failed('login', LOGIN_SCENARIO, target, error));
  }
}
