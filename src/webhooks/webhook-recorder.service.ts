import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UpdatedUser } from '../bus/domain-events.js';
import { EventBus } from '../bus/event-bus.service.js';
import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SqlDialect } from '../database/sql-dialect.js';
import { afterCommit, writeWithCommit } from '../database/transaction.js';
import { User } from '../users/user.entity.js';
import { newMessageId } from './webhook-delivery.entity.js';
import { type WebhookBody, type WebhookEventType, webhookUser } from './webhook-events.js';
import { WebhookSender } from './webhook-sender.service.js';
import { WebhookSubscriptions } from './webhook-subscriptions.js';

/** Data of one event, or null when there is nothing to tell (the user is gone meanwhile). */
type EventData = (manager: EntityManager) => Promise<Record<string, unknown> | null>;

/**
 * Turns domain events into deliveries, written in the transaction of the change (EventBus.within),
 * so a delivery exists exactly when its change does: a crash after the commit loses none, a
 * rollback sends none. Publishers do not know webhooks exist.
 */
@Injectable()
export class WebhookRecorder implements OnModuleInit {
  constructor(
    private readonly events: EventBus,
    private readonly sender: WebhookSender,
    private readonly subscriptions: WebhookSubscriptions,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const within = this.events.within.bind(this.events);
    const user = (userId: number) => this.userData(userId);
    within('user.created', (manager, { userId }) => this.record(manager, 'user.created', [user(userId)]));
    within('auth.email_confirmed', async (manager, { userId, changed }) => {
      // A new address confirmed is a change of private fields: user.updated tells it.
      if (!changed) await this.record(manager, 'user.confirmed', [user(userId)]);
    });
    within('user.updated', (manager, { userId, user: updated }) =>
      this.record(manager, 'user.updated', [updated ? this.told(updated) : user(userId)]),
    );
    within('user.disabled', (manager, { userId }) => this.record(manager, 'user.disabled', [user(userId)]));
    within('user.enabled', (manager, { userId }) => this.record(manager, 'user.enabled', [user(userId)]));
    within('account.deleted', (manager, { userId }) =>
      this.record(manager, 'user.deleted', [fixed({ user_id: userId })]),
    );
    within('sessions.ended', (manager, { userId, sessionIds }) =>
      this.record(
        manager,
        'session.ended',
        sessionIds.map((sessionId) => fixed({ user_id: userId, session_id: sessionId })),
      ),
    );
    within('blocking.blocked', (manager, { blockerId, blockedId }) =>
      this.record(manager, 'block.created', [fixed({ blocker_id: blockerId, blocked_id: blockedId })]),
    );
    within('blocking.unblocked', (manager, { blockerId, blockedId }) =>
      this.record(manager, 'block.deleted', [fixed({ blocker_id: blockerId, blocked_id: blockedId })]),
    );
    within('contact.added', (manager, { userId, contactId }) =>
      this.record(manager, 'contact.added', [fixed({ user_id: userId, contact_id: contactId })]),
    );
    within('contact.removed', (manager, { userId, contactId }) =>
      this.record(manager, 'contact.removed', [fixed({ user_id: userId, contact_id: contactId })]),
    );
  }

  /**
   * Writes one delivery of each event to every enabled endpoint subscribed to `type`, in the
   * transaction `manager` belongs to, and wakes the sender once it commits. A type no endpoint
   * receives costs nothing (WebhookSubscriptions); otherwise each event is one insert that picks
   * the endpoints from the table as the transaction sees it.
   */
  async record(manager: EntityManager, type: WebhookEventType, events: EventData[]): Promise<void> {
    if (!(await this.subscriptions.inUse(manager, type))) return;
    const now = this.clock.now();
    const sql = new SqlDialect(manager);
    const [id, eventType, payload, due, created, types] = sql.placeholders(6);
    for (const event of events) {
      const data = await event(manager);
      if (data === null) continue;
      const body: WebhookBody = { type, timestamp: now.toISOString(), data };
      // On PostgreSQL it goes with the COMMIT: a subscription adds no round trip to the change.
      await writeWithCommit(
        manager,
        `INSERT INTO webhook_deliveries
           (endpoint_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
         SELECT id, ${id}, ${eventType}, ${payload}, 'pending', 0, ${due}, ${created} FROM webhook_endpoints
         WHERE disabled_at IS NULL AND (',' || event_types || ',') LIKE ${types}`,
        [newMessageId(), type, JSON.stringify(body), now.getTime(), now.getTime(), `%,${type},%`],
      );
    }
    afterCommit(manager, () => this.sender.kick());
  }

  /** The user as the publisher told them, the change included: no read. */
  private told(updated: UpdatedUser): EventData {
    return async () => ({ user: webhookUser(updated, this.config.publicUrl) });
  }

  /** The user as the transaction sees them (the change itself included). */
  private userData(userId: number): EventData {
    return async (manager) => {
      const user = await manager.findOneBy(User, { id: userId });
      return user && { user: webhookUser(user, this.config.publicUrl) };
    };
  }
}

const fixed =
  (data: Record<string, unknown>): EventData =>
  async () =>
    data;
