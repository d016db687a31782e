import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { EventBus } from '../bus/event-bus.service.js';
import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { afterCommit } from '../database/transaction.js';
import { User } from '../users/user.entity.js';
import { newDelivery, newMessageId, WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import { type WebhookBody, type WebhookEventType, webhookUser } from './webhook-events.js';
import { WebhookSender } from './webhook-sender.service.js';

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
    within('user.updated', (manager, { userId }) => this.record(manager, 'user.updated', [user(userId)]));
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
   * transaction `manager` belongs to, and wakes the sender once it commits. Nothing is read
   * beyond the endpoints when none subscribed.
   */
  async record(manager: EntityManager, type: WebhookEventType, events: EventData[]): Promise<void> {
    const endpoints = (
      await manager.find(WebhookEndpoint, {
        select: { id: true, eventTypes: true },
        where: { disabledAt: IsNull() },
      })
    ).filter((endpoint) => endpoint.eventTypes.split(',').includes(type));
    if (endpoints.length === 0) return;
    const now = this.clock.now();
    const rows: Partial<WebhookDelivery>[] = [];
    for (const event of events) {
      const data = await event(manager);
      if (data === null) continue;
      const body: WebhookBody = { type, timestamp: now.toISOString(), data };
      const payload = JSON.stringify(body);
      const messageId = newMessageId();
      for (const endpoint of endpoints) rows.push(newDelivery(endpoint.id, messageId, type, payload, now));
    }
    if (rows.length === 0) return;
    await manager.insert(WebhookDelivery, rows);
    afterCommit(manager, () => this.sender.kick());
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
