import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Argon2Floor } from './argon2-floor.js';
import {
  type BenchUser,
  call,
  createUsers,
  inBatches,
  PASSWORD,
  recordAnswer,
  routeExists,
  WRITTEN_BY_NODE,
} from './api.js';
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

interface Goal {
  /** The baseline's key. */
  against: string;
  /** How the result names it ("B", "A"). */
  name: string;
  ratio: number;
}

const OVER_B = (ratio: number): Goal => ({ against: 'baseline-b', name: 'B', ratio });
const OVER_A = (ratio: number): Goal => ({ against: 'baseline-a', name: 'A', ratio });

interface Target {
  key: string;
  scenario: string;
  server: ServerProcess;
  load: Omit<LoadOptions, 'duration' | 'warmup' | 'connections'>;
  runs: Measured[];
  /** The goals, each a least ratio to a baseline of the same run (B, A, or B with the same body). */
  goals?: Goal[];
  over?: string;
  /** The key of the route's floor: bare node:http writing the route's own answer (a report, not a goal). */
  floor?: string;
}

/** Keys of the floors, `floor-<route>`. */
const FLOOR = 'floor-';

const LOGIN_SCENARIO = 'POST /api/v1/auth/login';
const ARGON2_FLOOR = resolve('dist/bench/argon2-floor.js');
const run = promisify(execFile);
/** Users the batch lookup asks for at once. */
const BATCH_SIZE = 50;
/** The best run of a target: on a shared machine the least disturbed run is closest to capacity. */
const best = (target: Target) => target.runs.reduce((a, b) => (b.load.rps > a.load.rps ? b : a));
/** A target's server CPU a request (µs): the least of its rounds, the one least disturbed. */
const leastCpu = (target: Target) => Math.min(...target.runs.map((run) => run.cpuMicrosPerRequest));

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
    const only = context.options.targets;
    if (only) targets.splice(0, targets.length, ...targets.filter((target) => only.includes(target.key)));

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
    const token = user.accessToken;
    const auth = { Authorization: `Bearer ${token}` };
    const userPath = `/api/v1/users/${user.id}`;
    // The baselines made of a route's own answer are measured at `info` only, where the goals are.
    const answered = (route: string, path: string, options: AnswerOptions = {}): Promise<AnswerKeys> =>
      atInfo ? answerBaselines(context, server, route, path, options, targets, started) : Promise.resolve({});
    const userAnswer = await answered('users-id', userPath);
    targets.push({
      key: `users-id${suffix}`,
      scenario: `GET /api/v1/users/:id (public record), LOG_LEVEL=${level}`,
      server,
      load: { url: server.url + userPath },
      runs: [],
      ...(atInfo ? { goals: [OVER_B(0.65), OVER_A(0.3)] } : { over: 'users-id' }),
      floor: userAnswer.floor,
    });
    const meAnswer = await answered('me', '/api/v1/me', { token });
    targets.push({
      key: `me${suffix}`,
      scenario: `GET /api/v1/me with a JWT, LOG_LEVEL=${level}`,
      server,
      load: { url: server.url + '/api/v1/me', headers: auth },
      runs: [],
      ...(atInfo ? { goals: [OVER_B(0.6), OVER_A(0.3)] } : { over: 'me' }),
      floor: meAnswer.floor,
    });
    const tag = (await call(server.url, 'GET', userPath, { token })).etag;
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
      const batchPath = `/api/v1/users?ids=${ids}`;
      const batchAnswer = await answered('users-batch', batchPath, { token, sameBody: 'batch' });
      targets.push({
        key: `users-batch${suffix}`,
        scenario: `GET /api/v1/users?ids= (${others.length + 1} users), LOG_LEVEL=${level}`,
        server,
        load: { url: server.url + batchPath, headers: auth },
        runs: [],
        ...(batchAnswer.sameBody ? { goals: [sameBody(batchAnswer.sameBody)] } : {}),
        over: `users-id${suffix}`,
        floor: batchAnswer.floor,
      });
      const prefix = await nameForSearch(server, others, level);
      if (prefix) {
        const searchPath = `/api/v1/users?nick=${prefix}`;
        const searchAnswer = await answered('users-search', searchPath, { token, sameBody: 'search' });
        targets.push({
          key: `users-search${suffix}`,
          scenario: `GET /api/v1/users?nick= (${SEARCH_LIMIT} of ${others.length} found), LOG_LEVEL=${level}`,
          server,
          load: { url: server.url + searchPath, headers: auth },
          runs: [],
          ...(searchAnswer.sameBody ? { goals: [sameBody(searchAnswer.sameBody)] } : {}),
          over: `users-id${suffix}`,
          floor: searchAnswer.floor,
        });
      }
    }
  }
}

const sameBody = (key: string): Goal => ({ against: key, name: 'B with the same body', ratio: 0.65 });

interface AnswerOptions {
  /** The token the route's target sends. */
  token?: string;
  /** For a read of many records: also B with the same body, `baseline-b-<sameBody>`. */
  sameBody?: string;
}

/**
 * The baselines made of a route's own answer, asked of the service once with the token the route's
 * target sends, and pushed to `targets` beside it; the keys of those that started.
 *
 * - The floor (`floor-<route>`): bare node:http writing that very answer, its headers and body
 *   bytes, with a fresh request id, and nothing else. Much of a hot read's CPU is writing its
 *   answer (the socket write above all), which no code of the service can shed: what a route costs
 *   beyond its floor is what the service does. A report, not a goal.
 * - For a read of many records, B with the same body (`baseline-b-<name>`): bare Express answering
 *   the very body the service answered (its 12 KB of JSON, serialised and tagged on each request
 *   as `res.json` does). The hello baseline answers 30 bytes: against it the batch would be judged
 *   on the size of its answer, which no framework path can shed.
 */
async function answerBaselines(
  context: BenchContext,
  service: ServerProcess,
  route: string,
  path: string,
  { token, sameBody }: AnswerOptions,
  targets: Target[],
  started: ServerProcess[],
): Promise<AnswerKeys> {
  const baselines: AnswerBaseline[] = [
    {
      role: 'floor',
      key: FLOOR + route,
      kind: 'node-http-answer',
      name: `the floor of ${route}`,
      scenario: ({ headers, bytes }) =>
        `floor of ${route}: bare node:http writing its answer (${headers} headers and node's, ${bytes}-byte body)`,
    },
  ];
  if (sameBody) {
    baselines.push({
      role: 'sameBody',
      key: `baseline-b-${sameBody}`,
      kind: 'express-body',
      name: `baseline B with the ${sameBody} body`,
      scenario: ({ bytes }) =>
        `baseline B, ${sameBody} body: bare Express 5 answering the same JSON (${bytes} bytes)`,
    });
  }
  let recorded: Recorded;
  try {
    const answer = await recordAnswer(service.url, path, token);
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`);
    const file = join(context.root, `${route}.answer.json`);
    writeFileSync(file, JSON.stringify(answer));
    const own = answer.headers.filter(([name]) => !WRITTEN_BY_NODE.has(name.toLowerCase()));
    recorded = { file, headers: own.length, bytes: Buffer.from(answer.body, 'base64').length };
  } catch (error) {
    for (const { key, name } of baselines) context.rows.push(failed(key, name, '', error));
    return {};
  }
  const keys: AnswerKeys = {};
  for (const { role, key, kind, name, scenario } of baselines) {
    try {
      const env = { ...serviceEnv(join(context.root, key)), BENCH_ANSWER_FILE: recorded.file };
      const server = await startBenchServer(key, kind, env, HELLO_PATH);
      started.push(server);
      targets.push({
        key,
        scenario: scenario(recorded),
        server,
        load: { url: server.url + HELLO_PATH },
        runs: [],
      });
      keys[role] = key;
    } catch (error) {
      context.rows.push(failed(key, name, '', error));
    }
  }
  return keys;
}

/** A route's answer as recorded for its baselines: the file they read, its size. */
interface Recorded {
  file: string;
  /** Its headers but those node:http writes itself (Date, Content-Length, the connection's). */
  headers: number;
  /** Its body's. */
  bytes: number;
}

/** The keys of a route's answer baselines that started. */
interface AnswerKeys {
  floor?: string;
  sameBody?: string;
}

interface AnswerBaseline {
  role: keyof AnswerKeys;
  key: string;
  kind: 'node-http-answer' | 'express-body';
  /** What a row says of it when it did not start. */
  name: string;
  scenario: (answer: Recorded) => string;
}

/** What a nick search answers at most (the service's page). */
const SEARCH_LIMIT = 20;

/** Gives `users` nicks with one prefix, so a search finds a full page of them; the prefix, or null. */
async function nameForSearch(
  server: ServerProcess,
  users: BenchUser[],
  level: string,
): Promise<string | null> {
  const prefix = `finder${level}`;
  const answers = await inBatches(users, 8, (user, index) =>
    call(server.url, 'PATCH', '/api/v1/me', {
      token: user.accessToken,
      body: { nick: `${prefix} ${index} ${user.id}` },
    }),
  );
  return answers.every((answer) => answer.status === 200) ? prefix : null;
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
    if (!target.key.startsWith('baseline-')) parts.push(`= ${round2(ratio)} × B`);
    const judged = (target.goals ?? []).map((goal) => {
      const baseline = byKey.get(goal.against);
      const value = baseline ? rps / best(baseline).load.rps : NaN;
      if (goal.against !== 'baseline-b') parts.push(`= ${round2(value)} × ${goal.name}`);
      return { goal, value };
    });
    const floor = target.floor ? byKey.get(target.floor) : undefined;
    const floorRps = floor ? best(floor).load.rps : NaN;
    if (floor) {
      const beyond = Math.round(microsPerRequest(rps) - microsPerRequest(floorRps));
      parts.push(
        `= ${round2(rps / floorRps)} × its answer from bare node:http (${beyond >= 0 ? '+' : ''}${beyond} µs/req beyond it)`,
      );
    }
    const cpu = leastCpu(target);
    const cpuParts = [`server CPU ${cpu.toFixed(1)} µs/req`];
    for (const { goal } of judged) {
      const baseline = goal.against !== 'baseline-b' ? byKey.get(goal.against) : undefined;
      if (baseline) cpuParts.push(`${goal.name}: ${leastCpu(baseline).toFixed(1)}`);
    }
    if (floor) cpuParts.push(`its floor: ${leastCpu(floor).toFixed(1)}`);
    parts.push(`; ${cpuParts.join(', ')}`);
    if (target.goals) parts.push(`; p99 ${latencyP99} ms`);
    if (Number.isFinite(cost))
      parts.push(`(${cost >= 0 ? '+' : ''}${Math.round(cost)} µs/req over ${target.over})`);
    if (non2xx || errors) parts.push(`; ${non2xx} non-2xx, ${errors} errors`);
    let verdict: Verdict = 'report';
    let goal = target.key.startsWith('baseline') || target.key.startsWith(FLOOR) ? 'reference' : 'report';
    if (target.key === 'baseline-c') goal = 'report (÷ B)';
    if (judged.length > 0) {
      goal = judged.map(({ goal: { ratio: least, name } }) => `≥ ${least.toFixed(2)} × ${name}`).join(', ');
      // Without its baseline in this run (--only, --targets) a goal is not judged.
      const known = judged.filter(({ value }) => Number.isFinite(value));
      if (known.length > 0) {
        const met = known.every(({ goal: { ratio: least }, value }) => value >= least);
        verdict = met && non2xx === 0 && errors === 0 ? 'pass' : 'FAIL';
      }
    }
    context.rows.push(
      row(target.key, target.scenario, parts.join(' '), goal, verdict, {
        best: top,
        roundsRps: target.runs.map((run) => run.load.rps),
        microsPerRequest: round2(microsPerRequest(rps)),
        cpuMicrosPerRequest: round2(cpu),
        ratioToB: bRps ? round2(ratio) : null,
        ...(floor ? { ratioToFloor: round2(rps / floorRps) } : {}),
        goals: judged.map(({ goal, value }) => ({
          against: goal.against,
          least: goal.ratio,
          ratio: round2(value),
        })),
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

/** The box's own argon2id verifications per second, with the service's parameters (bench/argon2-floor.ts). */
async function argon2Floor(seconds: number): Promise<Argon2Floor> {
  const { stdout } = await run(process.execPath, [ARGON2_FLOOR, String(seconds)], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Argon2Floor;
}

/**
 * Password logins against the floor of the same run: argon2id alone, as many at once as the
 * service hashes, in a process of its own on the same cores, measured just before each round of
 * logins. A login is one verification and the rest of its work (the session, the tokens).
 */
async function measureLogin(
  context: BenchContext,
  service: ServerProcess,
  loginUser: BenchUser,
): Promise<void> {
  const target = '≥ 0.9 × argon2 floor; lag p99 < 50 ms';
  try {
    const floors: Argon2Floor[] = [];
    const logins: Measured[] = [];
    for (let round = 0; round < context.options.httpRounds; round += 1) {
      const floor = await argon2Floor(context.options.duration);
      context.log(`argon2 floor: ${JSON.stringify(floor)}`);
      floors.push(floor);
      // One email from one address: the failed-check limit lets 5 of its checks run at once (each
      // takes its place before the hash), so 4 connections never meet it; the service hashes one
      // per core anyway, so 4 keep every core busy.
      logins.push(
        await loadServer(context, service, `login-${round}`, {
          url: service.url + '/api/v1/auth/login',
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: loginUser.email, password: PASSWORD }),
          connections: 4,
          warmup: round === 0 ? context.options.warmup : 0,
        }),
      );
    }
    // Each round against the floor measured just before it: the VM's speed moves by a fifth
    // between rounds, and a round's logins and its floor ran on the same machine state. The best
    // pair counts, as the best round does for every other target; all are printed.
    const ratios = logins.map((login, index) =>
      floors[index].hashesPerSecond > 0 ? login.load.rps / floors[index].hashesPerSecond : NaN,
    );
    const bestRound = ratios.reduce((a, value, index) => (value > ratios[a] ? index : a), 0);
    const floor = floors[bestRound];
    const measured = logins[bestRound];
    const { rps, non2xx, errors } = measured.load;
    const ratio = ratios[bestRound];
    const lagP99 = Math.max(...logins.map((login) => login.lag.p99));
    const ok = ratio >= 0.9 && lagP99 < 50 && non2xx === 0 && errors === 0;
    context.rows.push(
      row(
        'login',
        LOGIN_SCENARIO,
        `${rps} logins/s = ${round2(ratio)} × argon2 floor (${floor.hashesPerSecond} verifications/s,` +
          ` ${floor.concurrency} at once, ${floor.p50Ms} ms each); p99 ${measured.load.latencyP99} ms;` +
          ` server lag p99 ${lagP99} ms in the worst round, ${measured.lag.p99} ms in the best` +
          ` (idle control process ${measured.controlLag?.p99 ?? '?'}); rounds ${ratios.map(round2).join(', ')} × their floors` +
          (non2xx || errors
            ? `; ${non2xx} non-2xx ${JSON.stringify(measured.load.statusCodes)}, ${errors} errors`
            : ''),
        target,
        ok ? 'pass' : 'FAIL',
        {
          ...measured,
          floor,
          floors,
          ratioToFloor: round2(ratio),
          ratiosByRound: ratios.map(round2),
          roundsRps: logins.map((login) => login.load.rps),
          lagP99ByRound: logins.map((login) => login.lag.p99),
        },
      ),
    );
  } catch (error) {
    context.rows.push(failed('login', LOGIN_SCENARIO, target, error));
  }
}
