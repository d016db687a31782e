import autocannon, { type Options } from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) answers per second over the run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Milliseconds. */
  latencyP50: number;
  latencyP99: number;
  statusCodes: Record<string, number>;
  seconds: number;
  connections: number;
}

export interface LoadOptions extends Options {
  /** The status every answer should have, when it is not a 2xx (a 304 run). */
  expectStatus?: number;
  duration: number;
  connections: number;
  /** Seconds of load before the measured run, so that the JIT and the caches are warm. */
  warmup: number;
  /** Called between the warm-up and the measured run (to reset the lag probe, start a profile). */
  beforeMeasure?: () => Promise<void>;
}

/** One bounded autocannon run against a server in another process. */
export async function measureLoad(options: LoadOptions): Promise<LoadResult> {
  const { warmup, beforeMeasure, expectStatus, ...run } = options;
  const base = { timeout: 10, ...run };
  if (warmup > 0) await autocannon({ ...base, duration: warmup });
  await beforeMeasure?.();
  const result = await autocannon(base);
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]),
  );
  const ok = expectStatus === undefined ? result['2xx'] : (statusCodes[String(expectStatus)] ?? 0);
  const total = result['2xx'] + result.non2xx;
  return {
    rps: Math.round(ok / result.duration),
    ok,
    non2xx: total - ok,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    statusCodes,
    seconds: result.duration,
    connections: options.connections,
  };
}
