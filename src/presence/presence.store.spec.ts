import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../config/app-config.js';
import { MemoryPresenceStore, presenceTimings, RedisPresenceStore } from './presence.store.js';

describe('presence store rules (in process)', () => {
  it('announces a user online with their first stream only', async () => {
    const store = new MemoryPresenceStore();
    expect(await store.add(1)).toBe(true);
    expect(await store.add(1)).toBe(false);
    expect(await store.add(2)).toBe(true);
    expect(await store.onlineAmong([1, 2, 3])).toEqual(new Set([1, 2]));
  });

  it('keeps a user online while any stream is open, and settles them offline once after the last closed', async () => {
    const store = new MemoryPresenceStore();
    await store.add(1);
    await store.add(1);
    await store.remove(1);
    expect(await store.onlineAmong([1])).toEqual(new Set([1]));
    expect(await store.settle(1)).toBe(false);

    await store.remove(1);
    expect(await store.onlineAmong([1])).toEqual(new Set());
    expect(await store.settle(1)).toBe(true);
    expect(await store.settle(1)).toBe(false);
    expect(await store.add(1)).toBe(true);
  });

  it('says neither offline nor online again when a stream closes and reopens before the grace ends', async () => {
    const store = new MemoryPresenceStore();
    await store.add(1);
    await store.remove(1);
    expect(await store.add(1)).toBe(false);
    expect(await store.settle(1)).toBe(false);
  });
});

// The Redis store needs a Redis: these run in the PostgreSQL + Redis pass of `npm test` (as the
// two-process tests of test/cluster.e2e-spec.ts do).
const { redisUrl } = loadConfig();

if (redisUrl) {
  describe('presence across instances (Redis)', () => {
    const TTL_MS = 60_000;
    const { beatMs, deadAfterMs } = presenceTimings(TTL_MS);
    const prefix = `unichat-test:${randomBytes(4).toString('hex')}`;
    const key = (...parts: (string | number)[]) => [prefix, ...parts].join(':');
    let redis: Redis;
    let now = 0;
    const store = () => new RedisPresenceStore(redis, key, deadAfterMs, () => now);

    beforeAll(() => {
      redis = new Redis(redisUrl as string);
    });
    afterAll(async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it.each([1, beatMs / 2, beatMs - 1])(
      "settles a crashed instance's users within the TTL, whatever the phase of the others' checks (%i ms)",
      async (phase) => {
        const start = 1_000_000 * phase;
        now = start;
        const crashed = store();
        const survivor = store();
        const userId = 7 + phase;
        await crashed.add(userId); // its last heartbeat: it crashes right after
        let settledAfter: number | null = null;
        for (now = start + phase; settledAfter === null && now <= start + 2 * TTL_MS; now += beatMs) {
          if ((await survivor.tick()).includes(userId)) settledAfter = now - start;
        }
        expect(settledAfter).not.toBeNull();
        expect(settledAfter).toBeLessThanOrEqual(TTL_MS);
        expect(await survivor.onlineAmong([userId])).toEqual(new Set());
      },
    );

    it('never takes a live instance, heartbeating on time, for dead', async () => {
      now = 5_000_000_000;
      const [first, second] = [store(), store()];
      await first.add(1);
      await second.add(2);
      for (let beat = 0; beat < 12; beat += 1) {
        now += beatMs;
        expect([...(await first.tick()), ...(await second.tick())]).toEqual([]);
      }
      expect(await first.onlineAmong([1, 2])).toEqual(new Set([1, 2]));
    });
  });
}
