import { join } from 'node:path';
import type { LagReport } from './lag-probe.js';
import { type LoadOptions, type LoadResult, measureLoad } from './load.js';
import { BENCH_SERVERS, cpuMs, SERVICE_MAIN, type ServerProcess, startServer } from './processes.js';
import { formatSummary, type ProfileSummary, summarizeProfile } from './profile-summary.js';
import type { Row } from './report.js';

export interface BenchOptions {
  quick: boolean;
  big: boolean;
  cluster: boolean;
  profile: boolean;
  /** Heap snapshots before and after the idle streams open, and what grew per stream. */
  heapSnapshots: boolean;
  /** Seconds of each measured autocannon run, and of its warm-up. */
  duration: number;
  warmup: number;
  connections: number;
  /** Interleaved rounds of the request/response runs; each target's best round counts. */
  httpRounds: number;
  /** Distinct users who are friends of the one whose PATCH fans out. */
  users: number;
  /** Streams open in the stream scenarios (users × tabs). */
  streams: number;
  rounds: number;
  heartbeatSeconds: number;
  /** Seconds of the soak (`--soak`), or null for no soak. */
  soakSeconds: number | null;
  /** Only these request/response targets (their keys), or all. */
  targets: string[] | null;
  /** LOG_LEVEL of the service the stream scenarios measure (info: the service's default). */
  streamLogLevel: 'info' | 'warn';
}

export interface BenchContext {
  options: BenchOptions;
  /** Temporary folder of this run: every server's DATA_DIR is under it. */
  root: string;
  resultsDir: string;
  rows: Row[];
  profiles: ProfileSummary[];
  /**
   * An idle server process, running all along: its event-loop delay over the same window as a
   * measured server's is the part of that lag due to the machine (other processes, 2 cores).
   */
  control: ServerProcess | null;
  notes: string[];
  log(message: string): void;
}

export const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-keys';

/** The service's environment in the bench: a laptop's defaults, with tokens that outlive a long run. */
export function serviceEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    ACCESS_TOKEN_TTL: '86400',
    PUBLIC_URL: 'http://127.0.0.1',
    APP_ROOT_URL: 'http://app.bench/',
    MAIL_RETRY_BASE_MS: '200',
    // The bench registers thousands of users from one address.
    REGISTRATIONS_PER_HOUR: '1000000',
    ...extra,
  };
}

export function startService(name: string, env: Record<string, string>): Promise<ServerProcess> {
  return startServer({ name, script: SERVICE_MAIN, env, readyPath: '/health' });
}

export function startBenchServer(name: string, kind: string, env: Record<string, string>, readyPath: string) {
  return startServer({ name, script: BENCH_SERVERS, args: [kind], env, readyPath });
}

export interface Measured {
  load: LoadResult;
  /** The server's event-loop delay during the measured run. */
  lag: LagReport;
  /** The idle control process's delay over the same window. */
  controlLag: LagReport | null;
  /**
   * The server's CPU time (every thread's, from /proc) over the measured run per answer, in µs.
   * It leaves out the load generator's share of the cores, which moves requests-a-second ratios by
   * a fifth between rounds on a 2-core machine; it still moves with how busy the machine is.
   */
  cpuMicrosPerRequest: number;
  profile?: ProfileSummary;
}

/** One autocannon run against `server`, with the lag probe (and the profiler) around the measured part. */
export async function loadServer(
  context: BenchContext,
  server: ServerProcess,
  label: string,
  options: Omit<LoadOptions, 'duration' | 'warmup' | 'connections'> &
    Partial<LoadOptions> & { profile?: boolean },
): Promise<Measured> {
  const { duration, warmup, connections } = context.options;
  const { profile = context.options.profile, ...load } = options;
  const profileFile = join(context.resultsDir, 'profiles', `${label}.cpuprofile`);
  let cpuBefore = 0;
  const result = await measureLoad({
    duration,
    warmup,
    connections,
    ...load,
    beforeMeasure: async () => {
      await Promise.all([server.lag(), context.control?.lag()]);
      if (profile) await server.startProfile();
      cpuBefore = cpuMs(server.pid);
    },
  });
  const answers = result.ok + result.non2xx;
  const cpuMicrosPerRequest = answers > 0 ? ((cpuMs(server.pid) - cpuBefore) * 1000) / answers : NaN;
  const [lag, controlLag] = await Promise.all([server.lag(), context.control?.lag() ?? null]);
  const measured: Measured = { load: result, lag, controlLag, cpuMicrosPerRequest };
  if (profile) {
    await server.stopProfile(profileFile);
    measured.profile = summarizeProfile(profileFile);
    context.profiles.push(measured.profile);
    context.log(formatSummary(measured.profile));
  }
  context.log(
    `${label}: ${result.rps} req/s, p50 ${result.latencyP50} ms, p99 ${result.latencyP99} ms` +
      (result.non2xx || result.errors ? `, non-2xx ${result.non2xx}, errors ${result.errors}` : '') +
      `; server lag p99 ${lag.p99} ms (idle control ${controlLag?.p99 ?? '?'} ms)` +
      `; server CPU ${cpuMicrosPerRequest.toFixed(1)} µs/req`,
  );
  return measured;
}

/** Starts a window of event-loop delay on `servers` and the control; the function returned ends it. */
export async function lagWindow(context: BenchContext, servers: ServerProcess[]) {
  await Promise.all([...servers.map((server) => server.lag()), context.control?.lag()]);
  return async (): Promise<{ lags: LagReport[]; control: LagReport | null }> => {
    const [control, ...lags] = await Promise.all([
      context.control?.lag() ?? null,
      ...servers.map((s) => s.lag()),
    ]);
    return { lags, control };
  };
}
