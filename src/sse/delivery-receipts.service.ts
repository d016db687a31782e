import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { RedisService } from '../bus/redis.service.js';

/** A receipt outlives any grace a sender waits for it. */
const RECEIPT_TTL_SECONDS = 300;

/**
 * Which events a stream took: written by the instance that wrote the event to an open stream of its
 * user, read by the instance that raised it (Redis keys with REDIS_URL, else in process). Only
 * events delivered with `receipt: true` are recorded, so fan-outs to thousands cost nothing here.
 */
@Injectable()
export class DeliveryReceipts {
  private readonly memory = new LRUCache<string, true>({ max: 50_000, ttl: RECEIPT_TTL_SECONDS * 1000 });

  constructor(private readonly redis: RedisService) {}

  async mark(userId: number, eventId: number): Promise<void> {
    if (this.redis.client) {
      await this.redis.client.set(
        this.redis.key('sse', 'taken', userId, eventId),
        '1',
        'EX',
        RECEIPT_TTL_SECONDS,
      );
    } else {
      this.memory.set(`${userId}:${eventId}`, true);
    }
  }

  async taken(userId: number, eventId: number): Promise<boolean> {
    if (this.redis.client)
      return (await this.redis.client.exists(this.redis.key('sse', 'taken', userId, eventId))) === 1;
    return this.memory.has(`${userId}:${eventId}`);
  }
}
