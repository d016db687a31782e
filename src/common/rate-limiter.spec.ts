import type { RedisService } from '../bus/redis.service.js';
import { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';

class TestClock extends Clock {
  at = Date.UTC(2026, 0, 1);
  override now(): Date {
    return new Date(this.at);
  }
}

describe('rate-limit windows (in process)', () => {
  const inProcess = { client: null, enabled: false } as unknown as RedisService;

  it('counts hits in a window that opens with the first hit and says how long is left', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter(inProcess, clock);
    expect(await limiter.hit('k', 900)).toEqual({ count: 1, retryAfter: 900 });
    clock.at += 100_000;
    expect(await limiter.hit('k', 900)).toEqual({ count: 2, retryAfter: 800 });
    expect(await limiter.peek('k')).toEqual({ count: 2, retryAfter: 800 });
  });

  it('starts again from zero when the window has passed', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter(inProcess, clock);
    await limiter.hit('k', 60);
    await limiter.hit('k', 60);
    clock.at += 60_000;
    expect(await limiter.peek('k')).toEqual({ count: 0, retryAfter: 0 });
    expect((await limiter.hit('k', 60)).count).toBe(1);
  });

  it('keeps keys apart and forgets a key on reset', async () => {
    const limiter = new RateLimiter(inProcess, new TestClock());
    await limiter.hit('a', 60);
    await limiter.hit('b', 60);
    await limiter.reset('a');
    expect((await limiter.peek('a')).count).toBe(0);
    expect((await limiter.peek('b')).count).toBe(1);
  });
});
