import { Injectable, Logger } from '@nestjs/common';
import { type DomainEventName, type DomainEvents } from './domain-events.js';

type Handler<K extends DomainEventName> = (payload: DomainEvents[K]) => unknown;

/**
 * In-process domain events. `emit` never waits for listeners and never fails the caller: the
 * request that caused an event has already committed; a listener's failure is logged.
 */
@Injectable()
export class EventBus {
  private readonly logger = new Logger('EventBus');
  private readonly handlers = new Map<DomainEventName, Handler<never>[]>();
  private readonly running = new Set<Promise<unknown>>();

  on<K extends DomainEventName>(name: K, handler: Handler<K>): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler<never>);
    this.handlers.set(name, list);
  }

  emit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void {
    for (const handler of this.handlers.get(name) ?? []) {
      const run = Promise.resolve()
        .then(() => (handler as Handler<K>)(payload))
        .catch((error: unknown) => this.logger.error({ err: error }, `listener of ${name} failed`))
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** Waits for the listeners still running (used at shutdown). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
