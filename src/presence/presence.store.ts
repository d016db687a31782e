import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Who holds open streams. A user is online while any live instance holds one of their streams;
 * `announced` remembers that friends were told "online", so a reload within the grace period
 * neither says "offline" nor "online" again.
 */
export interface PresenceStore {
  /** Counts a stream of this instance; true when the user was not announced online yet. */
  add(userId: number): Promise<boolean>;
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

  async add(userId: number): Promise<boolean> {
    this.streams.set(userId, (this.streams.get(userId) ?? 0) + 1);
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

  async add(userId: number): Promise<boolean> {
    const replies = await this.redis
      .multi()
      .zadd(this.key('presence', 'instances'), this.now(), this.instanceId)
      .hincrby(this.key('presence', 'user', userId), this.instanceId, 1)
      .sadd(this.key('presence', 'held', this.instanceId), userId)
      .set(this.key('presence', 'announced', userId), '1', 'NX')
      .exec();
    return replies?.[3]?.[1] === 'OK';
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
