import http from 'node:http';
import https from 'node:https';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { KeptReads } from '../common/kept-reads.js';
import { checkedLookup } from '../common/public-address.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SqlDialect } from '../database/sql-dialect.js';
import { Metrics } from '../metrics/metrics.service.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { type DisabledReason, WebhookEndpoint } from './webhook-endpoint.entity.js';
import { RetrySchedule } from './webhook-schedule.js';
import { webhookSecretBox, WebhookSigner } from './webhook-secrets.js';
import { isPublicHost } from './webhook-url.js';
import { WebhookSubscriptions } from './webhook-subscriptions.js';
import { WebhooksService } from './webhooks.service.js';

/** A try that has not answered (headers and body) within this is a failure. */
const TIMEOUT_MS = 10_000;
/** How long an instance holds a claimed delivery before another may take it (longer than a try). */
const LEASE_MS = TIMEOUT_MS + 10_000;
/** Deliveries claimed at once, and the most in flight on one instance. */
const BATCH = 100;
const MAX_IN_FLIGHT = 400;
/** How long a delivered or given-up delivery stays listed (the operator's recent deliveries). */
const KEEP_MS = 30 * 24 * 3600 * 1000;
/**
 * How long a wake-up waits for more deliveries to claim with it: at a steady 100 changes a second,
 * one claim and one outcome update for five deliveries, instead of one each per change (what a
 * subscription added to a change was mostly this work sharing the connection and the event loop).
 */
const GATHER_MS = 50;
/** How long the outcomes of tries wait for more to record with them (the tries of one claim answer together). */
const RECORD_GATHER_MS = 10;
/** How long endpoints read for sending are trusted without a word of a change (the CLI's changes). */
const ENDPOINTS_FRESH_MS = 1000;

interface Claimed {
  id: number;
  endpoint_id: number;
  message_id: string;
  payload: string;
  attempts: number;
}

/** How one try ended: the endpoint's answer, or why there was none. */
type Outcome = { statusCode: number } | { error: string };

/** An endpoint as the sender needs it, its secrets opened. */
interface Target {
  endpoint: WebhookEndpoint;
  url: URL;
  /** Null when a secret cannot be opened (JWT_SECRET changed since it was sealed). */
  signers: WebhookSigner[] | null;
}

/**
 * Sends due deliveries: claims them (a lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL, so each is
 * sent by one instance at a time), signs each try (Standard Webhooks, with the previous secret too
 * for a day after a rotation), and records the outcome: 2xx delivered; 410 disables the endpoint;
 * anything else is tried again on the schedule, and an endpoint failing every try for five days is
 * disabled. Woken after each commit that wrote deliveries, and every second for retries.
 */
@Injectable()
export class WebhookSender implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly schedule: RetrySchedule;
  private readonly signers = new Map<string, WebhookSigner>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };
  private running: Promise<void> | null = null;
  /** Deliveries taken (2xx) and not recorded yet, by status code; recorded together. */
  private readonly deliveredIds = new Map<number, number[]>();
  private recording: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Endpoints read for sending, kept until one changes (here or on another instance) or a second has passed. */
  private readonly known = new Map<number, Target>();
  private knownSince = 0;
  /** A read of endpoints under way when one changed is not kept. */
  private readonly endpointReads = new KeptReads();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly management: WebhooksService,
    private readonly subscriptions: WebhookSubscriptions,
  ) {
    this.schedule = new RetrySchedule(config.webhooks.retryBaseMs);
    const options = { keepAlive: true, maxSockets: 64 };
    this.agents = { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };
  }

  onModuleInit(): void {
    this.subscriptions.onEndpointsChanged(() => {
      this.endpointReads.changed();
      this.known.clear();
    });
    this.metrics.setSource('webhookDeliveriesPending', () =>
      this.dataSource.getRepository(WebhookDelivery).countBy({ status: 'pending' }),
    );
  }

  @Interval('webhook-delivery', 1000)
  tick(): void {
    this.kick();
  }

  /** Forgets deliveries done (delivered or given up) more than 30 days ago; on every instance, harmlessly. */
  @Interval('webhook-prune', 3_600_000)
  async prune(): Promise<void> {
    try {
      await this.dataSource.getRepository(WebhookDelivery).delete({
        status: In(['delivered', 'failed']),
        createdAt: LessThan(new Date(this.clock.nowMs() - KEEP_MS)),
      });
    } catch (error) {
      this.logger.warn(`could not forget old webhook deliveries: ${(error as Error).message}`);
    }
  }

  /** Sends what is due now; a call while a run is under way makes it look once more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // A moment's wait lets the commits of concurrent requests share one claim.
    this.running = new Promise((resolve) => setTimeout(resolve, GATHER_MS))
      .then(() => this.run())
      .catch((error: unknown) => this.logger.warn(`webhook run failed: ${(error as Error).message}`))
      .finally(() => {
        this.running = null;
        if (this.again) this.kick();
      });
  }

  private async run(): Promise<void> {
    for (;;) {
      this.again = false;
      if (this.stopped) return;
      if (MAX_IN_FLIGHT - this.inFlight.size < BATCH) {
        await Promise.race(this.inFlight);
        continue;
      }
      const claimed = await this.claim(BATCH);
      if (claimed.length === 0) return;
      const targets = await this.targets([...new Set(claimed.map((row) => row.endpoint_id))]);
      for (const delivery of claimed) {
        const attempt: Promise<void> = this.attempt(delivery, targets.get(delivery.endpoint_id))
          .catch((error: unknown) =>
            this.logger.error({ err: error }, `webhook delivery ${delivery.id} could not be recorded`),
          )
          .finally(() => this.inFlight.delete(attempt));
        this.inFlight.add(attempt);
      }
      if (claimed.length < BATCH && !this.again) return;
    }
  }

  /** Takes up to `limit` due deliveries for this instance: their due time moves on by the lease. */
  private async claim(limit: number): Promise<Claimed[]> {
    const sql = new SqlDialect(this.dataSource);
    const [lease, attemptAt, now, count] = sql.placeholders(4);
    const nowMs = this.clock.nowMs();
    const result: unknown = await this.dataSource.query(
      `UPDATE webhook_deliveries SET next_attempt_at = ${lease}, attempts = attempts + 1, last_attempt_at = ${attemptAt}
       WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ${now}
         ORDER BY next_attempt_at LIMIT ${count} ${sql.skipLocked()})
       RETURNING id, endpoint_id, message_id, payload, attempts`,
      [nowMs + LEASE_MS, nowMs, nowMs, limit],
    );
    return sql.returnedRows<Claimed>(result).map((row) => ({
      ...row,
      id: Number(row.id),
      endpoint_id: Number(row.endpoint_id),
      attempts: Number(row.attempts),
    }));
  }

  /**
   * The endpoints of `ids` for sending: kept in memory, so a claim costs no read of them. Read again
   * once one changed (the management's word, here or over the bus) or after a second (the CLI's
   * changes); one a claim names that is not known is read at once.
   */
  private async targets(ids: number[]): Promise<Map<number, Target>> {
    const now = this.clock.nowMs();
    if (now - this.knownSince > ENDPOINTS_FRESH_MS) {
      this.known.clear();
      this.knownSince = now;
    }
    const missing = ids.filter((id) => !this.known.has(id));
    const read = missing.length > 0 ? await this.readTargets(missing) : new Map<number, Target>();
    const found = new Map<number, Target>();
    for (const id of ids) {
      const target = this.known.get(id) ?? read.get(id);
      if (target) found.set(id, target);
    }
    return found;
  }

  /** Reads the endpoints of `ids`, their secrets opened; kept unless one changed meanwhile. */
  private async readTargets(ids: number[]): Promise<Map<number, Target>> {
    return this.endpointReads.read(
      () => this.openTargets(ids),
      (targets) => {
        for (const [id, target] of targets) this.known.set(id, target);
      },
    );
  }

  private async openTargets(ids: number[]): Promise<Map<number, Target>> {
    const endpoints = await this.dataSource.getRepository(WebhookEndpoint).find({
      select: {
        id: true,
        url: true,
        secret: true,
        previousSecret: true,
        previousSecretUntil: true,
        disabledAt: true,
        failingSince: true,
      },
      where: { id: In(ids) },
    });
    const now = this.clock.nowMs();
    return new Map(
      endpoints.map((endpoint) => {
        const secrets = [endpoint.secret];
        if (endpoint.previousSecret && (endpoint.previousSecretUntil?.getTime() ?? 0) > now) {
          secrets.push(endpoint.previousSecret);
        }
        let signers: WebhookSigner[] | null = null;
        try {
          signers = secrets.map((sealed) => this.signer(endpoint.id, sealed));
        } catch {
          this.logger.error(
            { endpointId: endpoint.id },
            `webhook endpoint ${endpoint.id}: its secret cannot be opened`,
          );
        }
        return [endpoint.id, { endpoint, url: new URL(endpoint.url), signers }];
      }),
    );
  }

  private signer(endpointId: number, sealed: string): WebhookSigner {
    let signer = this.signers.get(sealed);
    if (!signer) {
      if (this.signers.size > 10_000) this.signers.clear();
      signer = new WebhookSigner(webhookSecretBox(this.config, endpointId).openText(sealed));
      this.signers.set(sealed, signer);
    }
    return signer;
  }

  private async attempt(delivery: Claimed, target: Target | undefined): Promise<void> {
    if (!target || target.endpoint.disabledAt !== null) {
      // Disabled or deleted since the delivery was written: it is not sent.
      await this.finish(delivery.id, { status: 'failed', lastError: 'the endpoint is disabled' });
      this.metrics.webhookDeliveries.labels('dropped').inc();
      return;
    }
    const outcome: Outcome = target.signers
      ? await this.post(target.url, target.signers, delivery)
      : { error: 'the secret cannot be opened (JWT_SECRET changed?): rotate it' };
    const now = this.clock.now();
    const { endpoint } = target;
    if ('statusCode' in outcome && outcome.statusCode >= 200 && outcome.statusCode < 300) {
      await this.delivered(delivery.id, outcome.statusCode);
      if (endpoint.failingSince !== null) {
        endpoint.failingSince = null;
        await this.endpoints().update({ id: endpoint.id }, { failingSince: null });
      }
      this.metrics.webhookDeliveries.labels('delivered').inc();
      return;
    }
    const lastStatusCode = 'statusCode' in outcome ? outcome.statusCode : null;
    const lastError = 'error' in outcome ? outcome.error : `answered ${outcome.statusCode}`;
    if (lastStatusCode === 410) {
      await this.finish(delivery.id, { status: 'failed', lastStatusCode, lastError });
      await this.disable(endpoint, 'gone');
      this.metrics.webhookDeliveries.labels('gone').inc();
      return;
    }
    const delay = this.schedule.delayAfter(delivery.attempts);
    const failed = { lastStatusCode, lastError: lastError.slice(0, 300) };
    if (delay === null) await this.finish(delivery.id, { status: 'failed', ...failed });
    else await this.finish(delivery.id, { nextAttemptAt: new Date(now.getTime() + delay), ...failed });
    this.metrics.webhookDeliveries.labels(delay === null ? 'failed' : 'retry').inc();
    this.logger.warn(
      { deliveryId: delivery.id, endpointId: endpoint.id, attempts: delivery.attempts },
      `webhook delivery ${delivery.id} failed (${lastError})${delay === null ? ', given up' : `; next try in ${delay} ms`}`,
    );
    if (endpoint.failingSince === null) {
      endpoint.failingSince = now;
      await this.endpoints()
        .createQueryBuilder()
        .update()
        .set({ failingSince: now })
        .where('id = :id AND failing_since IS NULL', { id: endpoint.id })
        .execute();
    } else if (this.schedule.failedTooLong(endpoint.failingSince, now.getTime())) {
      await this.disable(endpoint, 'failing');
    }
  }

  /**
   * Records a delivery as delivered, together with the others delivered meanwhile: one statement
   * per status code for all of them, not one per delivery (on SQLite each statement takes its turn
   * on the one connection, between the requests' transactions).
   */
  private delivered(id: number, statusCode: number): Promise<void> {
    const ids = this.deliveredIds.get(statusCode) ?? [];
    ids.push(id);
    this.deliveredIds.set(statusCode, ids);
    this.recording ??= new Promise<void>((resolve) => setTimeout(resolve, RECORD_GATHER_MS)).then(() =>
      this.recordDelivered(),
    );
    return this.recording;
  }

  private async recordDelivered(): Promise<void> {
    const batches = [...this.deliveredIds];
    this.deliveredIds.clear();
    this.recording = null;
    const sql = new SqlDialect(this.dataSource);
    const [at, code, ids] = sql.placeholders(3);
    for (const [statusCode, list] of batches) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ${at}, last_status_code = ${code},
         last_error = NULL WHERE id ${sql.inIds(ids)}`,
        [this.clock.nowMs(), statusCode, sql.ids(list)],
      );
    }
  }

  private async finish(id: number, changes: Partial<WebhookDelivery>): Promise<void> {
    await this.dataSource.getRepository(WebhookDelivery).update({ id }, changes);
  }

  /** Disables the endpoint; its deliveries still waiting are given up. */
  private async disable(endpoint: WebhookEndpoint, reason: DisabledReason): Promise<void> {
    endpoint.disabledAt = this.clock.now();
    await this.management.disable(endpoint.id, reason);
    this.logger.warn({ endpointId: endpoint.id }, `webhook endpoint ${endpoint.id} disabled (${reason})`);
  }

  /** One signed try: the endpoint's status code, or why there was none. Never throws. */
  private post(url: URL, signers: WebhookSigner[], delivery: Claimed): Promise<Outcome> {
    const sentAt = this.clock.now();
    const body = Buffer.from(delivery.payload, 'utf8');
    const signature = signers.map((signer) => signer.sign(delivery.message_id, sentAt, body)).join(' ');
    const checked = !this.config.webhooks.allowPrivate;
    if (checked && (url.protocol !== 'https:' || !isPublicHost(url.hostname))) {
      return Promise.resolve({ error: 'the URL leads to a private or reserved address' });
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Outcome>((resolve) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          agent: this.agents[url.protocol as 'http:' | 'https:'],
          signal: AbortSignal.timeout(TIMEOUT_MS),
          ...(checked
            ? {
                lookup: checkedLookup({
                  check: true,
                  refuse: () => new Error('the host resolves to a private or reserved address'),
                }),
              }
            : {}),
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'user-agent': 'Unichat-Webhooks/1',
            'webhook-id': delivery.message_id,
            'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
            'webhook-signature': signature,
          },
        },
        (response) => {
          response.on('error', (error) => resolve({ error: describe(error) }));
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0 }));
          response.resume();
        },
      );
      request.on('error', (error) => resolve({ error: describe(error) }));
      request.end(body);
    });
  }

  private endpoints() {
    return this.dataSource.getRepository(WebhookEndpoint);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running;
    // Tries under way finish (each within its timeout); what is left is sent by the next start.
    await Promise.allSettled([...this.inFlight]);
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

function describe(error: Error & { code?: string }): string {
  if (error.name === 'AbortError' || error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  return (error.code ?? error.message).slice(0, 300);
}
