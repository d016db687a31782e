import { AsyncLocalStorage } from 'node:async_hooks';
import pLimit from 'p-limit';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * TypeORM gives better-sqlite3 one connection, which every request shares, and a transaction
 * holds it across awaits. Left alone, another request's statements run inside an open
 * transaction (and are rolled back with it), and a second transaction becomes a savepoint of the
 * first (https://github.com/typeorm/typeorm/issues/1884). Here, for SQLite only: transactions take
 * turns in arrival order, and a statement from outside the open transaction waits for its turn.
 * Inside a transaction, statements and nested transactions (savepoints) go straight through.
 */
export function takeTurnsOnSqlite(dataSource: DataSource): void {
  const turns = pLimit(1);
  const transactionScope = new AsyncLocalStorage<{ open: boolean }>();
  const insideTransaction = () => transactionScope.getStore()?.open === true;

  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((...args: unknown[]) => {
    if (insideTransaction()) return transaction(...args);
    return turns(async () => {
      const scope = { open: true };
      try {
        return await transactionScope.run(scope, () => transaction(...args));
      } finally {
        // Work the transaction started but did not await takes its turn like any other.
        scope.open = false;
      }
    });
  }) as EntityManager['transaction'];

  // The driver's single query runner: every statement passes through it.
  const runner = dataSource.createQueryRunner();
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  runner.query = ((...args: unknown[]) =>
    insideTransaction() ? query(...args) : turns(() => query(...args))) as QueryRunner['query'];
}
