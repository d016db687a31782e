import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * TypeORM's own messages through the service's log (JSON, redacted) instead of the console:
 * a failed migration, and warnings such as "Postgres pool raised an error" when PostgreSQL
 * drops a connection. Queries and failed queries are not logged here: a failed query's
 * parameters can hold a password hash or a token hash, and failures reach the error filter,
 * which logs them safely.
 */
export class TypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(_error: string | Error): void {}

  logQuerySlow(time: number): void {
    this.logger.warn(`a query took ${time} ms`);
  }

  logSchemaBuild(): void {}

  /** TypeORM calls it only when a migration fails. */
  logMigration(message: string): void {
    this.logger.error(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.log(String(message));
  }
}
