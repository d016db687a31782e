import type { Registry } from 'prom-client';

/** A sample as prom-client's registry prints it. */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

type Labels = { method: string; route: string; status?: string };

interface Timing {
  labels: Labels;
  /** Observations per bucket, not cumulative (made cumulative at scrape time). */
  perBucket: number[];
  sum: number;
  count: number;
}

/** Upper bounds (seconds) of the request-time histogram. */
export const REQUEST_SECONDS_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The HTTP request counter and time histogram, counted in plain objects and shown to prom-client
 * as two metrics read at scrape time. prom-client's own counters validate and hash their labels
 * on every increment (~6 µs a request with both); this costs a map lookup and an addition.
 */
export class RequestStats {
  private readonly counts = new Map<string, { labels: Labels; count: number }>();
  private readonly timings = new Map<string, Timing>();

  constructor(registry: Registry) {
    registry.registerMetric(
      this.metric(
        'unichat_http_requests_total',
        'HTTP requests answered, by method, route pattern and status',
        'counter',
        () => [...this.counts.values()].map(({ labels, count }) => ({ labels, value: count })),
      ) as never,
    );
    registry.registerMetric(
      this.metric(
        'unichat_http_request_duration_seconds',
        'Time from a request to its answer, by method and route pattern (event streams left out)',
        'histogram',
        () => [...this.timings.values()].flatMap(histogramValues),
      ) as never,
    );
  }

  /** Counts a request; `seconds` null for one that is not timed (an event stream). */
  record(method: string, route: string, status: number, seconds: number | null): void {
    const key = `${method} ${route}`;
    const countKey = `${key} ${status}`;
    let series = this.counts.get(countKey);
    if (!series)
      this.counts.set(countKey, (series = { labels: { method, route, status: String(status) }, count: 0 }));
    series.count += 1;
    if (seconds === null) return;
    let timing = this.timings.get(key);
    if (!timing) {
      timing = {
        labels: { method, route },
        perBucket: REQUEST_SECONDS_BUCKETS.map(() => 0),
        sum: 0,
        count: 0,
      };
      this.timings.set(key, timing);
    }
    let bucket = 0;
    while (bucket < REQUEST_SECONDS_BUCKETS.length && seconds > REQUEST_SECONDS_BUCKETS[bucket]) bucket += 1;
    if (bucket < REQUEST_SECONDS_BUCKETS.length) timing.perBucket[bucket] += 1;
    timing.sum += seconds;
    timing.count += 1;
  }

  private metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]) {
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => ({
        name,
        help,
        type,
        aggregator: 'sum',
        values: values(),
      }),
      reset: () => {},
    };
  }
}

function histogramValues({ labels, perBucket, sum, count }: Timing): Sample[] {
  const values: Sample[] = [];
  let cumulative = 0;
  REQUEST_SECONDS_BUCKETS.forEach((bound, index) => {
    cumulative += perBucket[index];
    values.push({
      metricName: 'unichat_http_request_duration_seconds_bucket',
      labels: { ...labels, le: bound },
      value: cumulative,
    });
  });
  values.push({
    metricName: 'unichat_http_request_duration_seconds_bucket',
    labels: { ...labels, le: '+Inf' },
    value: count,
  });
  values.push({
    metricName: 'unichat_http_request_duration_seconds_sum',
    labels,
    value: sum,
  });
  values.push({
    metricName: 'unichat_http_request_duration_seconds_count',
    labels,
    value: count,
  });
  return values;
}
