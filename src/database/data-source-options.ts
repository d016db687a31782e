import type { Logger as Pino } from 'pino';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { type AppConfig } from '../config/app-config.js';
import { ensureOwnerOnlyDir, ensureOwnerOnlyFile, restrictIfPresent } from '../config/data-dir.js';
import { ENTITIES } from './entities.js';
import { migrationsWith } from './migrations/index.js';
import { TimeoutClosingClient } from './postgres-client.js';
import { SnakeNamingStrategy } from './naming.strategy.js';
import { TypeOrmLogger } from './typeorm-logger.js';
import { bindIntegersOnSqlite, SQLITE_STATEMENT_CACHE_SIZE } from './sqlite-statements.js';
import { takeTurnsOnSqlite } from './sqlite-transactions.js';

/** How long a query may wait for PostgreSQL's answer (migrations at start included). */
const QUERY_TIMEOUT_MS = 10_000;

/**
 * One set of options for the app and the TypeORM CLI (ormconfig.ts): SQLite or PostgreSQL. TypeORM's
 * own lines go to `root` (the service's log) when given.
 */
export function dataSourceOptions(
  config: Pick<AppConfig, 'database' | 'dataDir' | 'jwtSecret'>,
  root?: Pino,
): DataSourceOptions {
  const logger = new TypeOrmLogger(root);
  const common = {
    entities: ENTITIES,
    migrations: migrationsWith(config.jwtSecret),
    migrationsRun: true,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logger,
  };
  if (config.database.kind === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: config.database.url,
      // TypeORM's own handler would log the error as a string.
      poolErrorHandler: (error: Error) => logger.poolError(error),
      // A PostgreSQL that stops answering costs a request at most the query timeout, then 503
      // unavailable; the connection that timed out is closed, not reused.
      extra: {
        max: 20,
        connectionTimeoutMillis: 5000,
        query_timeout: QUERY_TIMEOUT_MS,
        Client: TimeoutClosingClient,
      },
    };
  }
  // SQLite gives its -wal and -shm files the database file's mode: made owner-only here, so are they.
  ensureOwnerOnlyDir(config.dataDir);
  ensureOwnerOnlyFile(config.database.file);
  for (const suffix of ['-wal', '-shm']) restrictIfPresent(config.database.file + suffix);
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.database.file,
    statementCacheSize: SQLITE_STATEMENT_CACHE_SIZE,
    // WAL lets readers go on while a transaction writes; busy_timeout waits instead of failing.
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    },
  };
}

/**
 * Connects (running the migrations). On SQLite, integers are then bound rather than written into
 * the SQL, and transactions take turns on its one connection.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource(options).initialize();
  if (options.type === 'better-sqlite3') {
    bindIntegersOnSqlite(dataSource);
    takeTurnsOnSqlite(dataSource);
  }
  return dataSource;
}
