import { Injectable } from '@nestjs/common';
import { RedisService } from '../bus/redis.service.js';
import { Clock } from './clock.service.js';
import { AppError } from './errors.js';

/** At most `max` in a window of `windowSeconds` that opens with the first one counted. */
export interface Limit {
  key: string;
  max: number;
  windowSeconds: number;
}

/** What `take` counted: `release` gives it back if its windows are still the same. */
export interface Reservation {
  slots: { key: string; endsAt: number }[];
}

export type Attempt = { reservation: Reservation } | { retryAfter: number };

/**
 * Keys: a hash { n: count, e: window end (ms) } per limit. All keys are checked, then all are
 * counted, in one script: either every limit gets one more, or none does.
 */
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'n', 'e')
  local ends = tonumber(state[2]) or 0
  if ends > now and (tonumber(state[1]) or 0) >= max then wait = math.max(wait, ends - now) end
end
if wait > 0 then return {0, wait} end
local result = {1}
for i, key in ipairs(KEYS) do
  local ends = tonumber(redis.call('HGET', key, 'e')) or 0
  if ends <= now then
    ends = now + tonumber(ARGV[2 * i + 1])
    redis.call('HSET', key, 'n', 1, 'e', ends)
    redis.call('PEXPIRE', key, ends - now)
  else
    redis.call('HINCRBY', key, 'n', 1)
  end
  result[i + 1] = ends
end
return result
`;

const RELEASE_SCRIPT = `
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'n', 'e')
  if state[2] == ARGV[i] and (tonumber(state[1]) or 0) > 0 then redis.call('HINCRBY', key, 'n', -1) end
end
return 0
`;

/**
 * Fixed-window counters for rate limits, atomic: a burst of parallel requests gets no more than
 * the limit, because a request takes its place before the work it limits (and may give it back
 * after). In process by default; in Redis when REDIS_URL is set, so every instance counts
 * together. Windows follow the injected clock in both.
 */
@Injectable()
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
  ) {}

  /** Counts one against every limit, or, when any is full, none and says how long to wait. */
  async attempt(limits: Limit[]): Promise<Attempt> {
    const now = this.clock.nowMs();
    if (this.redis.client) {
      const args = limits.flatMap((limit) => [limit.max, limit.windowSeconds * 1000]);
      const reply = (await this.redis.client.eval(
        TAKE_SCRIPT,
        limits.length,
        ...limits.map((limit) => this.redis.key('limit', limit.key)),
        now,
        ...args,
      )) as number[];
      if (reply[0] === 0) return { retryAfter: seconds(reply[1]) };
      return { reservation: { slots: limits.map((limit, i) => ({ key: limit.key, endsAt: reply[i + 1] })) } };
    }
    let wait = 0;
    for (const limit of limits) {
      const window = this.current(limit.key, now);
      if (window && window.count >= limit.max) wait = Math.max(wait, window.endsAt - now);
    }
    if (wait > 0) return { retryAfter: seconds(wait) };
    const slots = limits.map((limit) => {
      const window = this.current(limit.key, now) ?? { count: 0, endsAt: now + limit.windowSeconds * 1000 };
      window.count += 1;
      this.windows.set(limit.key, window);
      return { key: limit.key, endsAt: window.endsAt };
    });
    if (this.windows.size > 100_000) this.sweep(now);
    return { reservation: { slots } };
  }

  /**
   * Counts one against every limit, or answers `429 please_wait` naming `what` was refused, with
   * the seconds until the fullest window ends.
   */
  async take(limits: Limit[], what: string): Promise<Reservation> {
    return orPleaseWait(await this.attempt(limits), what);
  }

  /** Gives back what `take` counted (the work it limited did not count after all). */
  async release(reservation: Reservation): Promise<void> {
    const { slots } = reservation;
    if (slots.length === 0) return;
    if (this.redis.client) {
      await this.redis.client.eval(
        RELEASE_SCRIPT,
        slots.length,
        ...slots.map((slot) => this.redis.key('limit', slot.key)),
        ...slots.map((slot) => String(slot.endsAt)),
      );
      return;
    }
    for (const slot of slots) {
      const window = this.windows.get(slot.key);
      if (window && window.endsAt === slot.endsAt && window.count > 0) window.count -= 1;
    }
  }

  async reset(key: string): Promise<void> {
    if (this.redis.client) await this.redis.client.del(this.redis.key('limit', key));
    else this.windows.delete(key);
  }

  private current(key: string, now: number): { count: number; endsAt: number } | undefined {
    const window = this.windows.get(key);
    if (window && window.endsAt <= now) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/** The reservation of an attempt that got its place, else `429 please_wait` naming `what` was refused. */
export function orPleaseWait(attempt: Attempt, what: string): Reservation {
  if ('retryAfter' in attempt) {
    throw new AppError('please_wait', `${what}; try again in ${attempt.retryAfter} s`, {
      retryAfter: attempt.retryAfter,
    });
  }
  return attempt.reservation;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
