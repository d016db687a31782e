import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { inTransaction } from '../database/transaction.js';
import { auditOperatorAction, type Operator } from '../service-keys/operator.js';
import {
  type DeliveryStatus,
  newDelivery,
  newMessageId,
  WebhookDelivery,
} from './webhook-delivery.entity.js';
import { type DisabledReason, WebhookEndpoint } from './webhook-endpoint.entity.js';
import {
  isWebhookEventType,
  TEST_EVENT_TYPE,
  type WebhookBody,
  type WebhookEventType,
} from './webhook-events.js';
import { newSecret, webhookSecretBox } from './webhook-secrets.js';
import { endpointUrl } from './webhook-url.js';

/** How long the secret before a rotation still signs (receivers switch over meanwhile). */
const PREVIOUS_SECRET_MS = 24 * 3600 * 1000;
const MAX_DELIVERIES_LISTED = 100;

/** An endpoint as the operator sees it: never its secret. */
export interface EndpointRecord {
  id: number;
  url: string;
  description: string;
  event_types: WebhookEventType[];
  enabled: boolean;
  disabled_reason: DisabledReason | null;
  disabled_at: string | null;
  failing_since: string | null;
  /** Until when the secret before the last rotation also signs; null when none does. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A delivery as the operator sees it: what was sent, how it went, when. */
export interface DeliveryRecord {
  id: number;
  message_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

export interface NewEndpoint {
  url: string;
  event_types: string[];
  description?: string;
}

export interface EndpointChanges {
  url?: string;
  event_types?: string[];
  description?: string;
  /** true enables a disabled endpoint (its failing time forgotten); false disables it. */
  enabled?: boolean;
}

/**
 * Webhook endpoints for operators (admin API, CLI): create (the secret is shown once), list,
 * update, delete, rotate the secret, send a test event, and the recent deliveries. Each change is
 * an `audit` line naming the operator.
 */
@Injectable()
export class WebhooksService {
  private readonly changeListeners: (() => void)[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Called after each change of which endpoints receive which events (the app's subscription cache). */
  onChanged(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  async create(
    input: NewEndpoint,
    operator: Operator,
  ): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const url = endpointUrl(input.url, this.config.webhooks.allowPrivate);
    const eventTypes = parseEventTypes(input.event_types);
    const secret = newSecret();
    const now = this.clock.now();
    const endpoint = await inTransaction(this.dataSource, async ({ manager }) => {
      const row = manager.create(WebhookEndpoint, {
        url,
        description: input.description ?? '',
        eventTypes: eventTypes.join(','),
        secret: '',
        previousSecret: null,
        previousSecretUntil: null,
        disabledAt: null,
        disabledReason: null,
        failingSince: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.save(WebhookEndpoint, row);
      // Sealed for its row: the id is known once it is inserted.
      row.secret = this.seal(row.id, secret);
      await manager.update(WebhookEndpoint, { id: row.id }, { secret: row.secret });
      return row;
    });
    this.changed();
    const record = toRecord(endpoint, now.getTime());
    auditOperatorAction('webhooks.create', operator, {
      endpoint_id: record.id,
      url: record.url,
      event_types: record.event_types,
    });
    return { endpoint: record, secret };
  }

  async list(): Promise<EndpointRecord[]> {
    const rows = await this.endpoints().find({ order: { id: 'ASC' } });
    return rows.map((row) => toRecord(row, this.clock.nowMs()));
  }

  async get(id: number): Promise<EndpointRecord> {
    return toRecord(await this.find(id), this.clock.nowMs());
  }

  async update(id: number, changes: EndpointChanges, operator: Operator): Promise<EndpointRecord> {
    const endpoint = await this.find(id);
    const now = this.clock.now();
    const update: Partial<WebhookEndpoint> = { updatedAt: now };
    if (changes.url !== undefined) update.url = endpointUrl(changes.url, this.config.webhooks.allowPrivate);
    if (changes.event_types !== undefined) update.eventTypes = parseEventTypes(changes.event_types).join(',');
    if (changes.description !== undefined) update.description = changes.description;
    if (changes.enabled === true && endpoint.disabledAt !== null) {
      Object.assign(update, { disabledAt: null, disabledReason: null, failingSince: null });
    }
    await this.endpoints().update({ id }, update);
    if (changes.enabled === false && endpoint.disabledAt === null) await this.disable(id, 'operator');
    this.changed();
    const record = await this.get(id);
    auditOperatorAction('webhooks.update', operator, { endpoint_id: id, changes: { ...changes } });
    return record;
  }

  /** Disables the endpoint; its deliveries still waiting are given up (none would be sent). */
  async disable(id: number, reason: DisabledReason): Promise<void> {
    const now = this.clock.now();
    await this.endpoints().update({ id }, { disabledAt: now, disabledReason: reason, updatedAt: now });
    await this.deliveries().update(
      { endpointId: id, status: 'pending' },
      { status: 'failed', lastError: 'the endpoint is disabled' },
    );
    this.changed();
  }

  async remove(id: number, operator: Operator): Promise<void> {
    // Its deliveries go with it (foreign key cascade).
    const result = await this.endpoints().delete({ id });
    if (!result.affected) throw notFound(id);
    this.changed();
    auditOperatorAction('webhooks.delete', operator, { endpoint_id: id });
  }

  /** A new secret, shown once; the one it replaces still signs for a day. */
  async rotateSecret(id: number, operator: Operator): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const current = await this.endpoints().findOne({ where: { id }, select: { id: true, secret: true } });
    if (!current) throw notFound(id);
    const secret = newSecret();
    const now = this.clock.nowMs();
    await this.endpoints().update(
      { id },
      {
        secret: this.seal(id, secret),
        previousSecret: current.secret,
        previousSecretUntil: new Date(now + PREVIOUS_SECRET_MS),
        updatedAt: new Date(now),
      },
    );
    auditOperatorAction('webhooks.rotate_secret', operator, { endpoint_id: id });
    return { endpoint: await this.get(id), secret };
  }

  /** Queues a `webhook.test` event for this endpoint alone, whatever it subscribed to. */
  async sendTest(id: number, operator: Operator): Promise<DeliveryRecord> {
    const endpoint = await this.find(id);
    if (endpoint.disabledAt !== null) {
      throw new AppError('invalid_params', `webhook endpoint ${id} is disabled: enable it first`);
    }
    const now = this.clock.now();
    const body: WebhookBody = {
      type: TEST_EVENT_TYPE,
      timestamp: now.toISOString(),
      data: { endpoint_id: id },
    };
    const row = newDelivery(id, newMessageId(), TEST_EVENT_TYPE, JSON.stringify(body), now);
    const saved = await inTransaction(this.dataSource, ({ manager }) =>
      manager.save(WebhookDelivery, manager.create(WebhookDelivery, row)),
    );
    auditOperatorAction('webhooks.test', operator, { endpoint_id: id, message_id: saved.messageId });
    return toDeliveryRecord(saved);
  }

  /** The endpoint's latest deliveries, newest first. */
  async recentDeliveries(id: number, limit = 50): Promise<DeliveryRecord[]> {
    await this.find(id);
    const rows = await this.deliveries().find({
      where: { endpointId: id },
      order: { id: 'DESC' },
      take: Math.min(limit, MAX_DELIVERIES_LISTED),
    });
    return rows.map(toDeliveryRecord);
  }

  private async find(id: number): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints().findOneBy({ id });
    if (!endpoint) throw notFound(id);
    return endpoint;
  }

  private seal(id: number, secret: string): string {
    return webhookSecretBox(this.config, id).seal(secret);
  }

  private endpoints() {
    return this.dataSource.getRepository(WebhookEndpoint);
  }

  private deliveries() {
    return this.dataSource.getRepository(WebhookDelivery);
  }
}

const notFound = (id: number) => new AppError('not_found', `no webhook endpoint ${id}`);

function parseEventTypes(types: string[]): WebhookEventType[] {
  const unknown = types.find((type) => !isWebhookEventType(type));
  if (unknown !== undefined) throw new AppError('invalid_params', `unknown webhook event type: ${unknown}`);
  if (types.length === 0)
    throw new AppError('invalid_params', 'event_types must name at least one event type');
  return [...new Set(types as WebhookEventType[])];
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function toRecord(row: WebhookEndpoint, nowMs: number): EndpointRecord {
  const previousUntil =
    row.previousSecretUntil && row.previousSecretUntil.getTime() > nowMs ? row.previousSecretUntil : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.eventTypes.split(',').filter(isWebhookEventType),
    enabled: row.disabledAt === null,
    disabled_reason: row.disabledReason,
    disabled_at: iso(row.disabledAt),
    failing_since: iso(row.failingSince),
    previous_secret_expires_at: iso(previousUntil),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function toDeliveryRecord(row: WebhookDelivery): DeliveryRecord {
  return {
    id: row.id,
    message_id: row.messageId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: row.createdAt.toISOString(),
    last_attempt_at: iso(row.lastAttemptAt),
    next_attempt_at: row.status === 'pending' ? iso(row.nextAttemptAt) : null,
    delivered_at: iso(row.deliveredAt),
  };
}
