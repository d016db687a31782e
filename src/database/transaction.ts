import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

/** Work that must wait until the data it announces is visible to everyone. */
export type AfterCommitWork = () => unknown;

/** An open transaction: its EntityManager, and a queue of work to run once it has committed. */
export interface Transaction {
  readonly manager: EntityManager;
  /** Queues `work` to run after a successful commit, in the order queued; dropped on a rollback. */
  afterCommit(work: AfterCommitWork): void;
}

/** Where the queue of the open transaction lives: on its query runner, which its manager carries. */
const QUEUE = 'afterCommitQueue';
const logger = new Logger('Transactions');

/**
 * Runs `work` in a transaction (taking its turn on SQLite, see sqlite-transactions.ts) and then
 * the work it queued with `afterCommit`, in order. After-commit work never fails the caller: the
 * transaction is in force, so an error there is logged. Called with an open transaction's
 * manager, it opens a savepoint: its queue joins the outer one if the savepoint succeeds.
 */
export async function inTransaction<T>(
  source: DataSource | EntityManager,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const queue: AfterCommitWork[] = [];
  let outer: AfterCommitWork[] | undefined;
  const result = await source.transaction(async (manager: EntityManager) => {
    const data = runnerData(manager);
    outer = data[QUEUE] as AfterCommitWork[] | undefined;
    data[QUEUE] = queue;
    try {
      return await work({ manager, afterCommit: (next) => afterCommit(manager, next) });
    } finally {
      data[QUEUE] = outer;
    }
  });
  if (outer) outer.push(...queue);
  else await runAll(queue);
  return result;
}

/**
 * Queues `work` for after the commit of the transaction `manager` belongs to; outside a
 * transaction the change is already committed, so it starts at once. A transaction opened
 * without `inTransaction` has nobody to run the queue: that is a programming error, refused.
 */
export function afterCommit(manager: EntityManager, work: AfterCommitWork): void {
  if (!manager.queryRunner?.isTransactionActive) {
    void runAll([work]);
    return;
  }
  const queue = runnerData(manager)[QUEUE] as AfterCommitWork[] | undefined;
  if (!queue) throw new Error('open this transaction with inTransaction(), so work can wait for its commit');
  queue.push(work);
}

function runnerData(manager: EntityManager): Record<string, unknown> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('a transaction manager without a query runner');
  return runner.data as Record<string, unknown>;
}

async function runAll(queue: AfterCommitWork[]): Promise<void> {
  for (const work of queue) {
    try {
      await work();
    } catch (error) {
      logger.error({ err: error }, 'work after a commit failed');
    }
  }
}
