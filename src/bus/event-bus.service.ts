import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Transaction } from '../database/transaction.js';
import { type DomainEventName, type DomainEvents } from './domain-events.js';

type Handler<K extends DomainEventName> = (payload: DomainEvents[K]) => unknown;
type Recorder<K extends DomainEventName> = (
  manager: EntityManager,
  payload: DomainEvents[K],
) => Promise<unknown>;

/**
 * In-process domain events. A change made in a transaction is announced with `publish`: the
 * recorders (`within`) write what must commit with the change, in its transaction, before the
 * commit; the listeners (`on`) hear it after the commit. `emit` announces at once what is not a
 * transaction's change. Listeners never delay nor fail the caller; a listener's failure is logged.
 */
@Injectable()
export class EventBus {
  private readonly logger = new Logger('EventBus');
  private readonly handlers = new Map<DomainEventName, Handler<never>[]>();
  private readonly recorders = new Map<DomainEventName, Recorder<never>[]>();
  private readonly running = new Set<Promise<unknown>>();

  on<K extends DomainEventName>(name: K, handler: Handler<K>): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler<never>);
    this.handlers.set(name, list);
  }

  /**
   * Registers a recorder of `name`: it runs in the transaction of every `publish` of the event,
   * before the commit, so what it writes (an outbox row) exists exactly when the change does; its
   * failure rolls the change back. The publisher does not know it is there.
   */
  within<K extends DomainEventName>(name: K, recorder: Recorder<K>): void {
    const list = this.recorders.get(name) ?? [];
    list.push(recorder as Recorder<never>);
    this.recorders.set(name, list);
  }

  /** Announces a change made in `tx`: recorders write before its commit, listeners hear it after. */
  publish<K extends DomainEventName>(tx: Transaction, name: K, payload: DomainEvents[K]): void {
    const recorders = this.recorders.get(name);
    if (recorders) {
      tx.beforeCommit(async (manager) => {
        for (const recorder of recorders) await (recorder as Recorder<K>)(manager, payload);
      });
    }
    tx.afterCommit(() => this.emit(name, payload));
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
