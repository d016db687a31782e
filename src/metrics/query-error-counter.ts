import type { Logger as Pino } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import { TypeOrmLogger } from '../database/typeorm-logger.js';
import { type DatabaseErrorKind, Metrics } from './metrics.service.js';

/** The service's TypeORM logger, counting every failed query by kind on its way. */
class QueryErrorCounter extends TypeOrmLogger {
  constructor(
    private readonly metrics: Metrics,
    root?: Pino,
  ) {
    super(root);
  }

  override logQueryError(error: string | Error): void {
    this.metrics.databaseErrors.labels(databaseErrorKind(error)).inc();
  }
}

/** The data source options with a logger that counts failed queries into `metrics`. */
export function countingQueryErrors(
  options: DataSourceOptions,
  metrics: Metrics,
  root?: Pino,
): DataSourceOptions {
  return { ...options, logger: new QueryErrorCounter(metrics, root) };
}

export function databaseErrorKind(error: unknown): DatabaseErrorKind {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  // PostgreSQL's class 23 (integrity constraint violation); SQLite's SQLITE_CONSTRAINT_*.
  if (code.startsWith('23') || code.startsWith('SQLITE_CONSTRAINT')) return 'constraint';
  if (/^(08|57P0)/.test(code) || /^E(CONN|PIPE|HOSTUNREACH|TIMEDOUT)/.test(code) || code === 'SQLITE_BUSY') {
    return 'connection';
  }
  return 'other';
}
