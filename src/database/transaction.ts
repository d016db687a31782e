import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

/** Work that must wait until the data it announces is visible to everyone. */
export type AfterCommitWork = () => unknown;
/** Writes that belong to the change (a webhook delivery): they commit, or roll back, with it. */
export type BeforeCommitWork = (manager: EntityManager) => Promise<unknown>;

/**
 * An open transaction: its EntityManager, a queue of writes to make in it once the caller's own
 * work is done, and a queue of work to run once it has committed.
 */
export interface Transaction {
  readonly manager: EntityManager;
  /** Queues `work` to run after a successful commit, in the order queued; dropped on a rollback. */
  afterCommit(work: AfterCommitWork): void;
  /**
   * Queues `work` to run inside the transaction after the caller's work returned, before the
   * commit, in the order queued (work queued meanwhile runs too); its failure rolls everything back.
   */
  beforeCommit(work: BeforeCommitWork): void;
}

/** Where the queues of the open transaction live: on its query runner, which its manager carries. */
const QUEUE = 'afterCommitQueue';
const BEFORE_QUEUE = 'beforeCommitQueue';
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
  const before: BeforeCommitWork[] = [];
  let outer: AfterCommitWork[] | undefined;
  const result = await source.transaction(async (manager: EntityManager) => {
    const data = runnerData(manager);
    outer = data[QUEUE] as AfterCommitWork[] | undefined;
    const outerBefore = data[BEFORE_QUEUE];
    data[QUEUE] = queue;
    data[BEFORE_QUEUE] = before;
    try {
      const value = await work({
        manager,
        afterCommit: (next) => afterCommit(manager, next),
        beforeCommit: (next) => beforeCommit(manager, next),
      });
      for (let next = 0; next < before.length; next += 1) await before[next](manager);
      return value;
    } finally {
      data[QUEUE] = outer;
      data[BEFORE_QUEUE] = outerBefore;
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

/**
 * Queues `work` to run inside the open transaction `manager` belongs to, before it commits (see
 * `Transaction.beforeCommit`). Outside a transaction opened with `inTransaction` there is no
 * commit to write before: a programming error, refused.
 */
export function beforeCommit(manager: EntityManager, work: BeforeCommitWork): void {
  const queue = manager.queryRunner?.isTransactionActive
    ? (runnerData(manager)[BEFORE_QUEUE] as BeforeCommitWork[] | undefined)
    : undefined;
  if (!queue) throw new Error('open this transaction with inTransaction(), so its writes commit with it');
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
