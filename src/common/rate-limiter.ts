import { Injectable } from '@nestjs/common';
import { RedisService } from '../bus/redis.service.js';
import { Clock } from './clock.js';

export interface WindowCount {
  count: number;
  /** Seconds until this window ends and the count starts again from zero. */
  retryAfter: number;
}

/**
 * Fixed-window counters for rate limits: a window opens with the first hit and lasts `windowSeconds`.
 * In process by default; in Redis when REDIS_URL is set, so every instance counts together.
 */
@Injectable()
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
  ) {}

  async peek(key: string): Promise<WindowCount> {
    if (this.redis.client) {
      const redisKey = this.redis.key('limit', key);
      const [count, ttl] = await Promise.all([
        this.redis.client.get(redisKey),
        this.redis.client.pttl(redisKey),
      ]);
      return { count: Number(count ?? 0), retryAfter: ttl > 0 ? Math.ceil(ttl / 1000) : 0 };
    }
    const window = this.current(key);
    return window
      ? { count: window.count, retryAfter: Math.ceil((window.endsAt - this.clock.nowMs()) / 1000) }
      : { count: 0, retryAfter: 0 };
  }

  async hit(key: string, windowSeconds: number): Promise<WindowCount> {
    if (this.redis.client) {
      const redisKey = this.redis.key('limit', key);
      // One atomic MULTI: open the window if there is none, count the hit, read what is left.
      const replies = (await this.redis.client
        .multi()
        .set(redisKey, 0, 'PX', windowSeconds * 1000, 'NX')
        .incr(redisKey)
        .pttl(redisKey)
        .exec()) as [Error | null, unknown][];
      const count = Number(replies[1][1]);
      const remaining = Math.max(Number(replies[2][1]), 0);
      return { count, retryAfter: Math.ceil(remaining / 1000) };
    }
    const now = this.clock.nowMs();
    const window = this.current(key) ?? { count: 0, endsAt: now + windowSeconds * 1000 };
    window.count += 1;
    this.windows.set(key, window);
    if (this.windows.size > 100_000) this.sweep();
    return { count: window.count, retryAfter: Math.ceil((window.endsAt - now) / 1000) };
  }

  async reset(key: string): Promise<void> {
    if (this.redis.client) await this.redis.client.del(this.redis.key('limit', key));
    else this.windows.delete(key);
  }

  private current(key: string): { count: number; endsAt: number } | undefined {
    const window = this.windows.get(key);
    if (window && window.endsAt <= this.clock.nowMs()) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private sweep(): void {
    const now = this.clock.nowMs();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}
