import { Logger } from '@nestjs/common';
import { escapeLiteral } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { SqlDialect } from './sql-dialect.js';

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
/** Statements sent together with the COMMIT (PostgreSQL, outermost transaction only). */
const WITH_COMMIT = 'withCommitQueue';
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
  const before: BeforeCommitWork[] = [];
  let outer: AfterCommitWork[] | undefined;
  const result = await source.transaction(async (manager: EntityManager) => {
    const data = runnerData(manager);
    outer = data[QUEUE] as AfterCommitWork[] | undefined;
    const outerBefore = data[BEFORE_QUEUE];
    const outerWithCommit = data[WITH_COMMIT];
    const withCommit: string[] = [];
    data[QUEUE] = queue;
    data[BEFORE_QUEUE] = before;
    // Only the outermost transaction's commit can carry writes: a savepoint's run at once, so
    // they roll back with it.
    data[WITH_COMMIT] = outer === undefined && new SqlDialect(manager).postgres ? withCommit : null;
    try {
      const value = await work({
        manager,
        afterCommit: (next) => afterCommit(manager, next),
        beforeCommit: (next) => beforeCommit(manager, next),
      });
      for (let next = 0; next < before.length; next += 1) await before[next](manager);
      if (withCommit.length > 0) commitWith(manager.queryRunner as QueryRunner, withCommit);
      return value;
    } finally {
      data[QUEUE] = outer;
      data[BEFORE_QUEUE] = outerBefore;
      data[WITH_COMMIT] = outerWithCommit;
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

/**
 * Writes `sql` in the open transaction `manager` belongs to, at the latest with its commit: on
 * PostgreSQL, in the outermost transaction opened with `inTransaction`, it goes in one simple
 * query with the COMMIT (its `$n` parameters written in as escaped literals), so a write the
 * transaction needs no answer from costs no round trip of its own; its failure rolls the
 * transaction back, as it would have at once. Elsewhere (SQLite, where a statement is no round
 * trip, or a savepoint) it runs now. `sql` holds no `$` but its placeholders.
 */
export async function writeWithCommit(
  manager: EntityManager,
  sql: string,
  params: (string | number)[],
): Promise<void> {
  const queue = manager.queryRunner?.isTransactionActive
    ? (runnerData(manager)[WITH_COMMIT] as string[] | null | undefined)
    : null;
  if (!queue) {
    await manager.query(sql, params);
    return;
  }
  queue.push(sql.replace(/\$(\d+)/g, (_, index: string) => literal(params[Number(index) - 1])));
}

function literal(value: string | number | undefined): string {
  if (typeof value === 'string') return escapeLiteral(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new Error(`a statement sent with the commit has no value for a placeholder (${String(value)})`);
}

/**
 * Makes the runner's commit send `statements` and the COMMIT as one simple query. A failure of
 * either leaves the transaction active as TypeORM sees it, so it rolls back as after any failed
 * commit. For this one commit: the runner's own commit is back for any later transaction.
 */
function commitWith(runner: QueryRunner, statements: string[]): void {
  const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  const commit = runner.commitTransaction.bind(runner);
  runner.commitTransaction = async () => {
    runner.commitTransaction = commit;
    await runner.query(`${statements.join(';\n')};\nCOMMIT`);
    state.isTransactionActive = false;
    state.transactionDepth -= 1;
  };
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
