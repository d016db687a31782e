import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ClusterChannel, ClusterMessages } from './cluster-messages.js';
import { RedisService } from './redis.service.js';

type Handler = (payload: unknown) => void;

/**
 * Cluster messages (cluster-messages.ts), between instances: Redis pub/sub when REDIS_URL is
 * set, else within this process. Every instance, the publisher included, receives each once.
 */
@Injectable()
export class ClusterBus implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Handler[]>();
  private subscriber: Redis | null = null;
  private readonly reconnectHandlers: (() => unknown)[] = [];
  /** After a reconnect, until every reconnect handler has caught up with what was missed. */
  private catchingUp = false;

  constructor(private readonly redis: RedisService) {}

  async subscribe<C extends ClusterChannel>(
    channel: C,
    handler: (message: ClusterMessages[C]) => void,
  ): Promise<void> {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler as Handler);
    this.handlers.set(channel, list);
    if (this.redis.enabled && list.length === 1)
      await this.redisSubscriber().subscribe(this.redis.key('bus', channel));
  }

  /** Called after the subscriber reconnects: messages may have been missed while it was away. */
  onReconnect(handler: () => unknown): void {
    this.reconnectHandlers.push(handler);
  }

  /**
   * Whether this instance hears every message now and has caught up with those it missed: always
   * in process; with Redis, while the subscriber is connected and its reconnect handlers are done.
   * While not, state kept from messages (revoked sessions) must be read from the database.
   */
  get inSync(): boolean {
    if (!this.redis.enabled) return true;
    return this.subscriber?.status === 'ready' && !this.catchingUp;
  }

  async publish<C extends ClusterChannel>(channel: C, message: ClusterMessages[C]): Promise<void> {
    if (this.redis.client) {
      await this.redis.client.publish(this.redis.key('bus', channel), JSON.stringify(message));
      return;
    }
    this.dispatch(channel, message);
  }

  private dispatch(channel: string, payload: unknown): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        this.logger.error({ err: error }, `handler of ${channel} failed`);
      }
    }
  }

  private redisSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.subscriber();
    const prefix = this.redis.key('bus', '');
    subscriber.on('message', (channel: string, message: string) => {
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        this.logger.warn(`dropped a malformed message on ${channel}`);
        return;
      }
      this.dispatch(channel.slice(prefix.length), payload);
    });
    let connectedOnce = false;
    subscriber.on('ready', () => {
      if (connectedOnce) void this.catchUp();
      connectedOnce = true;
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  private async catchUp(): Promise<void> {
    this.catchingUp = true;
    const results = await Promise.allSettled(this.reconnectHandlers.map(async (handler) => handler()));
    for (const result of results) {
      if (result.status === 'rejected')
        this.logger.error({ err: result.reason }, 'a reconnect handler failed');
    }
    // A handler that failed (the database away too) leaves the instance reading the database.
    if (results.every((result) => result.status === 'fulfilled')) this.catchingUp = false;
    else setTimeout(() => void this.catchUp(), 1000).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.handlers.clear();
  }
}
