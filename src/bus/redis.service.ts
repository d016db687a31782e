import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** The Redis connections of this instance, when REDIS_URL is set; null otherwise (in-process mode). */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | null;
  readonly prefix: string;
  private readonly connections: Redis[] = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.prefix = config.redisPrefix;
    this.client = config.redisUrl ? this.connect('main') : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  /** A separate connection for SUBSCRIBE (a subscribed connection cannot run other commands). */
  subscriber(): Redis {
    if (!this.config.redisUrl) throw new Error('Redis is not configured');
    return this.connect('subscriber');
  }

  key(...parts: (string | number)[]): string {
    return this.prefix + parts.join(':');
  }

  private connect(name: string): Redis {
    const connection = new Redis(this.config.redisUrl as string, {
      connectionName: `unichat-${name}`,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    let reported = false;
    connection.on('error', (error: Error) => {
      if (!reported) this.logger.error(`Redis ${name} connection: ${error.message}`);
      reported = true;
    });
    connection.on('ready', () => {
      if (reported) this.logger.log(`Redis ${name} connection is back`);
      reported = false;
    });
    this.connections.push(connection);
    return connection;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())),
    );
  }
}
