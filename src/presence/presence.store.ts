import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Who holds open streams. A user is online while any live instance holds one of their streams;
 * `announced` remembers that friends were told "online", so a reload within the grace period
 * neither says "offline" nor "online" again.
 */
export interface PresenceStore {
  /**
   * Counts a stream of this instance; true when the user was not announced online yet. `full`
   * (nothing counted) when the user already holds `max` streams on live instances.
   */
  add(userId: number, max?: number): Promise<boolean | 'full'>;
  remove(userId: number): Promise<void>;
  /** After the grace period: true when no live instance holds the user and they were announced (now offline). */
  settle(userId: number): Promise<boolean>;
  onlineAmong(userIds: number[]): Promise<Set<number>>;
  /** Keeps this instance alive; returns users of instances found dead, to settle. */
  tick(): Promise<number[]>;
  /** Marks this instance gone (clean shutdown), so others settle its users at once. */
  leave(): Promise<void>;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly streams = new Map<number, number>();
  private readonly announced = new Set<number>();

  async add(userId: number, max = Infinity): Promise<boolean | 'full'> {
    const held = this.streams.get(userId) ?? 0;
    if (held >= max) return 'full';
    this.streams.set(userId, held + 1);
    if (this.announced.has(userId)) return false;
    this.announced.add(userId);
    return true;
  }

  async remove(userId: number): Promise<void> {
    const left = (this.streams.get(userId) ?? 1) - 1;
    if (left > 0) this.streams.set(userId, left);
    else this.streams.delete(userId);
  }

  async settle(userId: number): Promise<boolean> {
    if (this.streams.has(userId)) return false;
    return this.announced.delete(userId);
  }

  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    return new Set(userIds.filter((id) => this.streams.has(id)));
  }

  async tick(): Promise<number[]> {
    return [];
  }

  async leave(): Promise<void> {}
}

/**
 * How often each instance heartbeats and checks the others, and after how long without a
 * heartbeat an instance is dead, for a crashed instance's users to be offline within `ttlMs`:
 * found dead at most one check after `deadAfterMs`. A live instance misses three
 * heartbeats before it is taken for dead.
 */
export function presenceTimings(ttlMs: number): { beatMs: number; deadAfterMs: number } {
  const beatMs = Math.max(500, Math.floor(ttlMs / 4));
  return { beatMs, deadAfterMs: ttlMs - beatMs };
}

/**
 * Counts a stream unless the user's streams on live instances reach the maximum (ARGV[5], -1: none),
 * in one step, so parallel opens on any instances get no more than the maximum. Answers -1 when
 * full, 1 when the user is to be announced online, 0 otherwise.
 */
const ADD_SCRIPT = `
local now, liveSince, instance, max = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[5])
redis.call('ZADD', KEYS[1], now, instance)
if max >= 0 then
  local counts = redis.call('HGETALL', KEYS[2])
  local held = 0
  for i = 1, #counts, 2 do
    local beat = tonumber(redis.call('ZSCORE', KEYS[1], counts[i]))
    if beat and beat >= liveSince then held = held + tonumber(counts[i + 1]) end
  end
  if held >= max then return -1 end
end
redis.call('HINCRBY', KEYS[2], instance, 1)
redis.call('SADD', KEYS[3], ARGV[4])
if redis.call('SET', KEYS[4], '1', 'NX') then return 1 end
return 0
`;

/**
 * Presence across instances. Keys: `presence:instances` (sorted set: instance → last heartbeat),
 * `presence:user:<id>` (hash: instance → its stream count), `presence:held:<instance>` (set of
 * user ids it holds) and `presence:announced:<id>`. An instance whose heartbeat is older than
 * `deadAfterMs` is dead: the first instance to remove it from the sorted set settles its users.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly instanceId = randomBytes(8).toString('hex');

  constructor(
    private readonly redis: Redis,
    private readonly key: (...parts: (string | number)[]) => string,
    private readonly deadAfterMs: number,
    private readonly now: () => number,
  ) {}

  async add(userId: number, max = Infinity): Promise<boolean | 'full'> {
    const reply = await this.redis.eval(
      ADD_SCRIPT,
      4,
      this.key('presence', 'instances'),
      this.key('presence', 'user', userId),
      this.key('presence', 'held', this.instanceId),
      this.key('presence', 'announced', userId),
      this.now(),
      this.now() - this.deadAfterMs,
      this.instanceId,
      userId,
      Number.isFinite(max) ? max : -1,
    );
    return reply === -1 ? 'full' : reply === 1;
  }

  async remove(userId: number): Promise<void> {
    const left = await this.redis.hincrby(this.key('presence', 'user', userId), this.instanceId, -1);
    if (left <= 0) {
      await this.redis
        .multi()
        .hdel(this.key('presence', 'user', userId), this.instanceId)
        .srem(this.key('presence', 'held', this.instanceId), userId)
        .exec();
    }
  }

  async settle(userId: number): Promise<boolean> {
    if ((await this.onlineAmong([userId])).has(userId)) return false;
    return (await this.redis.del(this.key('presence', 'announced', userId))) === 1;
  }

  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    if (userIds.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    pipeline.zrangebyscore(this.key('presence', 'instances'), this.now() - this.deadAfterMs, '+inf');
    for (const id of userIds) pipeline.hgetall(this.key('presence', 'user', id));
    const [[, liveReply], ...holders] = ((await pipeline.exec()) ?? []) as [Error | null, unknown][];
    const live = new Set(liveReply as string[]);
    const online = new Set<number>();
    userIds.forEach((id, index) => {
      const counts = (holders[index]?.[1] ?? {}) as Record<string, string>;
      if (Object.entries(counts).some(([instance, count]) => live.has(instance) && Number(count) > 0))
        online.add(id);
    });
    return online;
  }

  async tick(): Promise<number[]> {
    const instances = this.key('presence', 'instances');
    await this.redis.zadd(instances, this.now(), this.instanceId);
    const dead = await this.redis.zrangebyscore(instances, '-inf', this.now() - this.deadAfterMs);
    const orphans: number[] = [];
    for (const instance of dead) {
      if ((await this.redis.zrem(instances, instance)) !== 1) continue; // another instance took it
      const held = this.key('presence', 'held', instance);
      const users = (await this.redis.smembers(held)).map(Number);
      const pipeline = this.redis.pipeline();
      for (const userId of users) pipeline.hdel(this.key('presence', 'user', userId), instance);
      pipeline.del(held);
      await pipeline.exec();
      orphans.push(...users);
    }
    return orphans;
  }

  async leave(): Promise<void> {
    // Score 0: the next tick of any other instance finds this one dead and settles its users.
    await this.redis.zadd(this.key('presence', 'instances'), 0, this.instanceId);
  }
}
