import { randomBytes } from 'node:crypto';
import { RedisService } from '../bus/redis.service.js';
import { type AppConfig, loadConfig } from '../config/app-config.js';
import { Metrics } from '../metrics/metrics.service.js';
import { Clock } from './clock.service.js';
import { AppError } from './errors.js';
import { type Limit, RateLimiter } from './rate-limiter.service.js';

class TestClock extends Clock {
  at = Date.UTC(2026, 0, 1);
  override now(): Date {
    return new Date(this.at);
  }
}

const { redisUrl } = loadConfig();
const inProcess = () => new RedisService({ redisUrl: null, redisPrefix: 'x:' } as AppConfig, new Metrics());
const inRedis = () =>
  new RedisService(
    { redisUrl, redisPrefix: `test:${randomBytes(5).toString('hex')}:` } as AppConfig,
    new Metrics(),
  );

const stores: [string, () => RedisService][] = [['in process', inProcess]];
if (redisUrl) stores.push(['in Redis', inRedis]);

describe.each(stores)('rate-limit windows (%s)', (_name, store) => {
  let redis: RedisService;
  let clock: TestClock;
  let limiter: RateLimiter;
  beforeEach(() => {
    redis = store();
    clock = new TestClock();
    limiter = new RateLimiter(redis, clock);
  });
  afterEach(() => redis.onApplicationShutdown());

  const limit = (key: string, max: number, windowSeconds = 900): Limit => ({ key, max, windowSeconds });

  it('counts up to the limit in a window that opens with the first, then says how long is left', async () => {
    for (let n = 0; n < 3; n += 1)
      expect(await limiter.attempt([limit('k', 3)])).toHaveProperty('reservation');
    clock.at += 100_000;
    expect(await limiter.attempt([limit('k', 3)])).toEqual({ retryAfter: 800 });
  });

  it('gives no more than the limit to a burst of parallel attempts', async () => {
    const attempts = await Promise.all(Array.from({ length: 40 }, () => limiter.attempt([limit('k', 5)])));
    expect(attempts.filter((attempt) => 'reservation' in attempt)).toHaveLength(5);
  });

  it('counts against every limit or none: a full one leaves the others as they were', async () => {
    await limiter.attempt([limit('full', 1)]);
    expect(await limiter.attempt([limit('free', 2), limit('full', 1)])).toHaveProperty('retryAfter');
    expect(await limiter.attempt([limit('free', 2)])).toHaveProperty('reservation');
    expect(await limiter.attempt([limit('free', 2)])).toHaveProperty('reservation');
    expect(await limiter.attempt([limit('free', 2)])).toHaveProperty('retryAfter');
  });

  it('takes back a released place, but not into a window that opened since', async () => {
    const first = await limiter.attempt([limit('k', 1, 60)]);
    if (!('reservation' in first)) throw new Error('refused');
    await limiter.release(first.reservation);
    const second = await limiter.attempt([limit('k', 1, 60)]);
    if (!('reservation' in second)) throw new Error('refused');
    clock.at += 60_000;
    expect(await limiter.attempt([limit('k', 1, 60)])).toHaveProperty('reservation');
    await limiter.release(second.reservation); // from the window that ended: changes nothing
    expect(await limiter.attempt([limit('k', 1, 60)])).toEqual({ retryAfter: 60 });
  });

  it('starts again from zero when the window has passed, and forgets a key on reset', async () => {
    await limiter.attempt([limit('a', 1, 60)]);
    await limiter.attempt([limit('b', 1, 60)]);
    await limiter.reset('a');
    expect(await limiter.attempt([limit('a', 1, 60)])).toHaveProperty('reservation');
    expect(await limiter.attempt([limit('b', 1, 60)])).toHaveProperty('retryAfter');
    clock.at += 60_000;
    expect(await limiter.attempt([limit('b', 1, 60)])).toHaveProperty('reservation');
  });

  it('answers 429 please_wait naming what was refused and when to come back', async () => {
    await limiter.take([limit('k', 1, 60)], 'too many things');
    const refused = await limiter.take([limit('k', 1, 60)], 'too many things').catch((error) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'please_wait', status: 429, retryAfter: 60 });
    expect(refused.message).toBe('too many things; try again in 60 s');
  });
});
