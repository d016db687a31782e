import type { DataSource } from 'typeorm';

type Escape = (sql: string, parameters: Record<string, unknown>) => [string, unknown[]];

/** Distinct statements better-sqlite3 keeps prepared (TypeORM's default is 100). */
export const SQLITE_STATEMENT_CACHE_SIZE = 1000;

/**
 * TypeORM's SQLite driver writes a number parameter into the SQL text itself (`WHERE user_id = 42`),
 * so the same query for another user is another statement: better-sqlite3 prepares it again, and
 * its small cache of prepared statements never hits. Here an integer is bound as a BigInt instead,
 * which better-sqlite3 binds as an INTEGER: exactly what the inlined literal meant, and the
 * statement text stays the same for every id, so it is prepared once. Other numbers (none of our
 * queries passes one) keep TypeORM's way.
 */
export function bindIntegersOnSqlite(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { escapeQueryWithParameters: Escape };
  const escape = driver.escapeQueryWithParameters.bind(driver);
  driver.escapeQueryWithParameters = (sql, parameters) => {
    if (!parameters) return escape(sql, parameters);
    let bound: Record<string, unknown> | null = null;
    for (const [key, value] of Object.entries(parameters)) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) continue;
      bound ??= { ...parameters };
      bound[key] = BigInt(value);
    }
    return escape(sql, bound ?? parameters);
  };
}
