import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import type { Logger } from 'typeorm';

/** Where TypeORM's lines go: the service's root logger, or Nest's logger when there is none. */
type Sink = Pick<Pino, 'warn' | 'info' | 'error'>;

/**
 * TypeORM's own messages through the service's log (JSON, redacted) instead of the console:
 * a failed migration, warnings, and errors of PostgreSQL's connection pool (a connection
 * PostgreSQL dropped), which TypeORM would otherwise print as a string. Given the root pino
 * logger they are written there directly, whatever Nest's logger is at that moment (the TypeORM
 * CLI has no Nest application). Queries and failed queries are not logged here: a failed query's
 * parameters can hold a password hash or a token hash, and failures reach the error filter,
 * which logs them safely.
 */
export class TypeOrmLogger implements Logger {
  private readonly sink: Sink;

  constructor(root?: Pino) {
    this.sink = root ? root.child({ context: 'Database' }) : nestSink(new NestLogger('Database'));
  }

  logQuery(): void {}

  logQueryError(_error: string | Error): void {}

  logQuerySlow(time: number): void {
    this.sink.warn(`a query took ${time} ms`);
  }

  logSchemaBuild(): void {}

  /** TypeORM calls it only when a migration fails. */
  logMigration(message: string): void {
    this.sink.error(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.sink.warn(String(message));
    else this.sink.info(String(message));
  }

  /** An error of PostgreSQL's pool (an idle connection that failed): logged with the error itself. */
  poolError(error: Error): void {
    this.sink.warn({ err: error }, `a PostgreSQL connection of the pool failed: ${error.message}`);
  }
}

function nestSink(logger: NestLogger): Sink {
  const write =
    (level: 'warn' | 'log' | 'error') =>
    (first: unknown, second?: unknown): void => {
      if (typeof first === 'string') logger[level](first);
      else logger[level](first, String(second));
    };
  return { warn: write('warn'), info: write('log'), error: write('error') } as unknown as Sink;
}
