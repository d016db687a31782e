import 'reflect-metadata';
import { type DynamicModule, Global, type INestApplicationContext, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { pino } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import { AppModule } from '../app.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import { RedisService } from '../bus/redis.service.js';
import { Clock } from '../common/clock.service.js';
import { type AppConfig, loadConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { keepJwtSecret } from '../config/kept-jwt-secret.js';
import { dataSourceOptions, openDataSource } from '../database/data-source-options.js';
import { Metrics } from '../metrics/metrics.service.js';
import { NestLogger } from '../logging.js';

const SHARED = [Clock, Metrics, RedisService, EventBus, ClusterBus];

/**
 * What every command's modules may inject: the configuration, the database, the clock, and the
 * buses (a change made here is announced to the running instances as the service announces it).
 */
@Global()
@Module({ providers: SHARED, exports: SHARED })
class CliCoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliCoreModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config),
          dataSourceFactory: (options) => openDataSource(options as DataSourceOptions),
        }),
      ],
    };
  }
}

/**
 * Nest's lines in a command: errors and warnings, and the `audit` lines of what the command did
 * (on stderr, as JSON), so stdout holds only the command's answer.
 */
class CommandLogger extends NestLogger {
  override log(message: unknown, ...params: unknown[]): void {
    if (params[params.length - 1] === 'Audit') super.log(message, ...params);
  }
  override verbose(): void {}
  override debug(): void {}
}

/** The logger of a command: its audit lines, warnings and errors as JSON on stderr. */
function commandLogger(): CommandLogger {
  return new CommandLogger(pino({ level: 'info' }, pino.destination({ dest: 2, sync: true })));
}

/**
 * Runs one command against the configured database (the service's own configuration, read from
 * the same environment, its migrations run first): boots only the modules the command names, not
 * the HTTP server, and closes them afterwards.
 */
export async function withModules<T>(
  modules: Type[],
  work: (context: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const { config } = keepJwtSecret(loadConfig());
  @Module({ imports: [CliCoreModule.forRoot(config), ...modules] })
  class CommandModule {}
  const context = await NestFactory.createApplicationContext(CommandModule, { logger: commandLogger() });
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}

/**
 * Runs one command inside the whole application, without its HTTP server: for commands whose
 * changes others must hear as they do from a request (ended sessions and closed streams on every
 * instance over Redis, domain events, mails queued). The metrics port stays closed: the service
 * may be holding it.
 */
export async function withApplication<T>(work: (context: INestApplicationContext) => Promise<T>): Promise<T> {
  const { config } = keepJwtSecret(loadConfig());
  const context = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...config, metricsPort: null }),
    { logger: commandLogger() },
  );
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}
