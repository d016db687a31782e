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

/** Tries of a transaction the database chose as a deadlock victim or could not serialise. */
export const TRANSACTION_TRIES = 4;

/**
 * Runs `work` in a transaction (taking its turn on SQLite, see sqlite-transactions.ts) and then
 * the work it queued with `afterCommit`, in order. After-commit work never fails the caller: the
 * transaction is in force, so an error there is logged. Called with an open transaction's
 * manager, it opens a savepoint: its queue joins the outer one if the savepoint succeeds.
 *
 * A transaction that PostgreSQL rolled back as a deadlock victim (40P01) or a serialisation
 * failure (40001) changed nothing and is run again from the start, a few times, after a short
 * random wait (so the two sides do not meet again in step). `work` must therefore do nothing
 * outside the transaction but queue after-commit work; a savepoint is not tried again (its
 * outer transaction is the one rolled back).
 */
export async function inTransaction<T>(
  source: DataSource | EntityManager,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const nested = 'queryRunner' in source && Boolean(source.queryRunner?.isTransactionActive);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await attemptTransaction(source, work);
    } catch (error) {
      if (nested || attempt >= TRANSACTION_TRIES || !retryable(error)) throw error;
      logger.warn(
        `transaction ${retryableCode(error)}: trying again (${attempt} of ${TRANSACTION_TRIES - 1})`,
      );
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    }
  }
}

async function attemptTransaction<T>(
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

/** PostgreSQL's "try the transaction again" codes: deadlock_detected, serialization_failure. */
const RETRYABLE = new Set(['40P01', '40001']);

function retryableCode(error: unknown): string | null {
  const err = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = err?.driverError?.code ?? err?.code;
  return typeof code === 'string' && RETRYABLE.has(code) ? code : null;
}

/** Whether `error` is a deadlock or serialisation failure, after which the whole transaction may be run again. */
export function retryable(error: unknown): boolean {
  return retryableCode(error) !== null;
}

/** A random wait before try `attempt + 1`: up to 20 ms, 40 ms, 80 ms (full jitter). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * 10 * 2 ** attempt);
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
