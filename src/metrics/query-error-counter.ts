import { AdvancedConsoleLogger, type DataSourceOptions, type QueryRunner } from 'typeorm';
import { type DatabaseErrorKind, Metrics } from './metrics.service.js';

/** TypeORM's own logger, counting every failed query by kind on its way (it logs as configured). */
class QueryErrorCounter extends AdvancedConsoleLogger {
  constructor(
    options: DataSourceOptions['logging'],
    private readonly metrics: Metrics,
  ) {
    super(options);
  }

  override logQueryError(
    error: string | Error,
    query: string,
    parameters?: unknown[],
    queryRunner?: QueryRunner,
  ): void {
    this.metrics.databaseErrors.labels(databaseErrorKind(error)).inc();
    super.logQueryError(error as string, query, parameters, queryRunner);
  }
}

/** The data source options with a logger that counts failed queries into `metrics`. */
export function countingQueryErrors(options: DataSourceOptions, metrics: Metrics): DataSourceOptions {
  return { ...options, logger: new QueryErrorCounter(options.logging, metrics) };
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
