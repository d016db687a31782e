import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisService } from './redis.service.js';

type Handler = (payload: unknown) => void;

/**
 * Messages between instances: Redis pub/sub when REDIS_URL is set, else within this process.
 * Every instance, the publisher included, receives each message once.
 */
@Injectable()
export class ClusterBus implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Handler[]>();
  private subscriber: Redis | null = null;
  private readonly reconnectHandlers: (() => void)[] = [];

  constructor(private readonly redis: RedisService) {}

  async subscribe<T>(channel: string, handler: (payload: T) => void): Promise<void> {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler as Handler);
    this.handlers.set(channel, list);
    if (this.redis.enabled && list.length === 1)
      await this.redisSubscriber().subscribe(this.redis.key('bus', channel));
  }

  /** Called after the subscriber reconnects: messages may have been missed while it was away. */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    if (this.redis.client) {
      await this.redis.client.publish(this.redis.key('bus', channel), JSON.stringify(payload));
      return;
    }
    this.dispatch(channel, payload);
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
      if (connectedOnce) for (const handler of this.reconnectHandlers) handler();
      connectedOnce = true;
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  async onApplicationShutdown(): Promise<void> {
    this.handlers.clear();
  }
}
