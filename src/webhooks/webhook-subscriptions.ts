import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { Clock } from '../common/clock.service.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import { WebhooksService } from './webhooks.service.js';

/** How long the event types in use are trusted without a word of a change (the CLI's changes). */
const FRESH_MS = 1000;

/**
 * Which event types some enabled endpoint receives, kept in memory, so a change nobody subscribed
 * to costs its transaction nothing. Forgotten at once on this instance's changes, over the bus on
 * the others', and after a second anyway (changes made from the CLI). The deliveries themselves
 * are written from the endpoints table as the transaction sees it: a stale answer can only make a
 * new subscription miss the events of its first moments, never write to a removed endpoint.
 */
@Injectable()
export class WebhookSubscriptions implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');
  private types: Set<string> | null = null;
  private readAt = 0;
  private readonly changeListeners: (() => void)[] = [];

  constructor(
    private readonly bus: ClusterBus,
    private readonly webhooks: WebhooksService,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('webhooks.endpoints_changed', () => this.forget());
    this.bus.onReconnect(() => this.forget());
    this.webhooks.onChanged(() => {
      this.forget();
      this.bus
        .publish('webhooks.endpoints_changed', {})
        .catch((error: Error) =>
          this.logger.warn(`could not announce changed webhook endpoints: ${error.message}`),
        );
    });
  }

  /** Whether some enabled endpoint may receive `type`; read through `manager` (the change's transaction) when not fresh. */
  async inUse(manager: EntityManager, type: string): Promise<boolean> {
    const now = this.clock.nowMs();
    if (this.types === null || now - this.readAt > FRESH_MS) {
      const endpoints = await manager.find(WebhookEndpoint, {
        select: { id: true, eventTypes: true },
        where: { disabledAt: IsNull() },
      });
      this.types = new Set(endpoints.flatMap((endpoint) => endpoint.eventTypes.split(',')));
      this.readAt = now;
    }
    return this.types.has(type);
  }

  /** Calls `listener` whenever the endpoints changed, on this instance or another (what it keeps of them is stale). */
  onEndpointsChanged(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private forget(): void {
    this.types = null;
    for (const listener of this.changeListeners) listener();
  }
}
