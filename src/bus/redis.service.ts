import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.service.js';

/**
 * How long a command may wait for Redis's answer before it fails (answered `503 unavailable`): a
 * connection that went silent without a reset (a NAT or load balancer dropped the flow) would
 * otherwise hold every request that needs Redis for ever.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** A connection with a command waiting and no byte from Redis for this long is dropped and reopened. */
const SILENT_SOCKET_MS = 5000;
/** A connection attempt that has not connected after this long is given up and tried again. */
const CONNECT_TIMEOUT_MS = 5000;

/** The Redis connections of this instance, when REDIS_URL is set; null otherwise (in-process mode). */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | null;
  readonly prefix: string;
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.prefix = config.redisPrefix;
    this.client = config.redisUrl ? this.connect('main') : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  /**
   * A separate connection for SUBSCRIBE (a subscribed connection cannot run other commands). It
   * does not subscribe again by itself after a reconnect: ioredis leaves the rejection of that
   * SUBSCRIBE unhandled (the connection dropped again, or quit at shutdown), which ends the
   * process. Its user subscribes again on `ready`, and handles the failure.
   */
  subscriber(): Redis {
    if (!this.config.redisUrl) throw new Error('Redis is not configured');
    return this.connect('subscriber', { autoResubscribe: false });
  }

  key(...parts: (string | number)[]): string {
    return this.prefix + parts.join(':');
  }

  private connect(name: string, options: RedisOptions = {}): Redis {
    const connection = new Redis(this.config.redisUrl as string, {
      ...options,
      connectionName: `unichat-${name}`,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      lazyConnect: false,
      // Also the commands queued while it reconnects, and the checks of a new connection.
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      socketTimeout: SILENT_SOCKET_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    let reported = false;
    connection.on('error', (error: Error) => {
      this.metrics.redisErrors.inc();
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

  /**
   * Drops the connections that look open and opens them again: one that went silent is never
   * closed by the network, and a subscriber waits for no answer that would time out.
   */
  reconnect(): void {
    for (const connection of this.connections) {
      if (connection.status === 'ready') connection.disconnect(true);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())),
    );
  }
}
