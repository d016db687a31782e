import type { DataSource, EntityManager } from 'typeorm';

/**
 * What differs between PostgreSQL and SQLite in the SQL the services write themselves: the one
 * place that asks which database this is. Feature services build their statements with it and
 * never test the driver.
 */
export class SqlDialect {
  readonly postgres: boolean;

  constructor(source: DataSource | EntityManager) {
    const connection = 'connection' in source ? source.connection : source;
    this.postgres = connection.options.type === 'postgres';
  }

  /**
   * The row lock a SELECT takes for a write that follows: `FOR UPDATE` on PostgreSQL; nothing on
   * SQLite, whose write transactions take turns (sqlite-transactions.ts).
   */
  get forUpdate(): string {
    return this.postgres ? ' FOR UPDATE' : '';
  }

  /** `$1…$n` on PostgreSQL, `?` on SQLite, in the order they appear in the statement. */
  placeholders(count: number): string[] {
    return Array.from({ length: count }, (_, index) => (this.postgres ? `$${index + 1}` : '?'));
  }

  /**
   * "Is in this list of ids", bound as one parameter whatever its length: `= ANY($n::int[])` on
   * PostgreSQL, a JSON array read by `json_each` on SQLite. Bind `ids(list)` to the placeholder.
   */
  inIds(placeholder: string): string {
    return this.postgres
      ? `= ANY(${placeholder}::int[])`
      : `IN (SELECT value FROM json_each(${placeholder}))`;
  }

  /** The value to bind for `inIds`: each id once. */
  ids(list: number[]): number[] | string {
    const unique = [...new Set(list)];
    return this.postgres ? unique : JSON.stringify(unique);
  }

  /**
   * A condition for "`column` starts with `prefix`" that can use the column's index: `LIKE` with
   * the wildcards escaped on PostgreSQL (a pattern-ops index: its collations do not order by code
   * point, so a range would be wrong there), a code-point range on SQLite. `name` keeps the parameters apart in a larger query.
   */
  startsWith(
    column: string,
    prefix: string,
    name = 'prefix',
  ): { sql: string; params: Record<string, string> } {
    if (this.postgres) {
      return {
        sql: `${column} LIKE :${name} ESCAPE '\\'`,
        params: { [name]: `${prefix.replace(/[\\%_]/g, '\\$&')}%` },
      };
    }
    return {
      sql: `${column} >= :${name}Low AND ${column} < :${name}High`,
      params: { [`${name}Low`]: prefix, [`${name}High`]: `${prefix}\u{10FFFF}` },
    };
  }

  /**
   * Locks the rows a `SELECT` picks so that another instance's same statement passes them over
   * (`FOR UPDATE SKIP LOCKED`) on PostgreSQL; nothing on SQLite, where one process runs one
   * transaction at a time.
   */
  skipLocked(): string {
    return this.postgres ? 'FOR UPDATE SKIP LOCKED' : '';
  }

  /** The rows an `UPDATE … RETURNING` run through `query()` answered (PostgreSQL's driver adds the count). */
  returnedRows<T>(result: unknown): T[] {
    return (this.postgres ? (result as [T[], number])[0] : result) as T[];
  }
}
