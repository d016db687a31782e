import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestStats } from './request-stats.js';

/** A number read at scrape time (streams open, outbox depth), given by the module that knows it. */
export type GaugeSource = () => number | Promise<number>;

type SourcedGauge = 'sseStreamsOpen' | 'presenceOnlineUsers' | 'mailOutboxDepth' | 'webhookDeliveriesPending';

/** Why a query failed, in three kinds (a label per SQLSTATE would grow without bound). */
export type DatabaseErrorKind = 'constraint' | 'connection' | 'other';

/** How a login was made. */
export type LoginMethod = 'password' | 'auth_token' | 'qr' | 'oidc';

/** What APNs made of one device's push (`retry` counts each refusal-for-now, `given_up` the last). */
export type PushOutcome = 'accepted' | 'dead_token' | 'retry' | 'given_up' | 'bad_key' | 'refused';

/**
 * Every metric of one application, in its own registry (tests run several applications in one
 * process; prom-client's global registry would mix them). Counters are bumped where things
 * happen; gauges read their source at scrape time, so nothing is counted twice on a hot path.
 * Labels have small fixed sets of values: the route pattern, never the path.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly sources = new Map<SourcedGauge, GaugeSource>();

  /** HTTP requests by method, route pattern and status, and their times (counted cheaply). */
  readonly httpRequests = new RequestStats(this.registry);

  readonly rateLimitRefusals = new Counter({
    name: 'unichat_rate_limit_refusals_total',
    help: 'Requests refused with 429 (please_wait, rate_exceeded), by route pattern',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly sseStreamsOpen = this.sourcedGauge(
    'sseStreamsOpen',
    'unichat_sse_streams_open',
    'Event streams open on this instance',
  );

  readonly sseEventsDelivered = new Counter({
    name: 'unichat_sse_events_delivered_total',
    help: 'Events written to event streams on this instance (one per stream), replays included',
    registers: [this.registry],
  });

  readonly sseFanoutSeconds = new Histogram({
    name: 'unichat_sse_fanout_seconds',
    help: 'Time from an event being raised to its last write to a stream on this instance',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly sseReplays = new Counter({
    name: 'unichat_sse_replays_total',
    help: 'Streams given the events they missed: resumed with Last-Event-ID, or caught up after their instance was out of sync',
    registers: [this.registry],
  });

  readonly sseResyncs = new Counter({
    name: 'unichat_sse_resyncs_total',
    help: 'Streams told to resync: resumed with a Last-Event-ID, or caught up after their instance was out of sync, from an id the log could not serve',
    registers: [this.registry],
  });

  readonly presenceOnlineUsers = this.sourcedGauge(
    'presenceOnlineUsers',
    'unichat_presence_online_users',
    'Users with at least one event stream open on this instance',
  );

  readonly pushes = new Counter({
    name: 'unichat_push_notifications_total',
    help: 'Pushes to one device, by push service (ios_app, android_app, web_push) and what it answered',
    labelNames: ['service', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly mailOutboxDepth = this.sourcedGauge(
    'mailOutboxDepth',
    'unichat_mail_outbox_depth',
    'Mails waiting in the outbox (not delivered, not given up), all instances',
  );

  readonly mailsDelivered = new Counter({
    name: 'unichat_mail_delivered_total',
    help: 'Mails handed to the transport by this instance',
    registers: [this.registry],
  });

  readonly mailFailures = new Counter({
    name: 'unichat_mail_delivery_failures_total',
    help: 'Failed mail delivery attempts; `final` is true when the mail was given up',
    labelNames: ['final'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'unichat_webhook_attempts_total',
    help: 'Webhook delivery tries by this instance, by outcome: delivered (2xx), retry (failed, tried again later), failed (failed, given up), gone (410: endpoint disabled), dropped (endpoint disabled before the try)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveriesPending = this.sourcedGauge(
    'webhookDeliveriesPending',
    'unichat_webhook_deliveries_pending',
    'Webhook deliveries waiting to be sent or tried again, all instances',
  );

  readonly logins = new Counter({
    name: 'unichat_logins_total',
    help: 'Logins by method and outcome (failure: wrong email, password or auth token)',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly databaseErrors = new Counter({
    name: 'unichat_database_errors_total',
    help: 'Failed database queries, by kind (constraint: a unique or foreign key check)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'unichat_redis_errors_total',
    help: 'Errors reported by this instance’s Redis connections',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Names where a gauge read at scrape time gets its value. */
  setSource(gauge: SourcedGauge, source: GaugeSource): void {
    this.sources.set(gauge, source);
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private sourcedGauge(gauge: SourcedGauge, name: string, help: string): Gauge {
    const sources = this.sources;
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        const source = sources.get(gauge);
        if (source) this.set(await source());
      },
    });
  }
}
