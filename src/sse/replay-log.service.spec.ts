import { randomBytes } from 'node:crypto';
import type { Repository } from 'typeorm';
import { RedisService } from '../bus/redis.service.js';
import { type AppConfig, loadConfig } from '../config/app-config.js';
import { Metrics } from '../metrics/metrics.service.js';
import type { EventIdEpoch } from './event-id-epoch.entity.js';
import { COUNTER_TTL_SECONDS, EPOCH_SPAN, ReplayLog, REPLAY_EVENTS } from './replay-log.service.js';

describe('event ids and the replay buffer (in process)', () => {
  const inProcess = { client: null, enabled: false } as unknown as RedisService;
  const event = (userId: number, data = '{}') => ({ userId, event: 'user_updated', data });
  /** The epochs table as the database keeps it: each start gets the next id. */
  let lastEpoch = 0;
  const epochs = {
    insert: async () => ({ identifiers: [{ id: ++lastEpoch }] }),
    delete: async () => ({ affected: 0 }),
  } as unknown as Repository<EventIdEpoch>;
  /** A log as one start of the service makes it. */
  const start = async () => {
    const log = new ReplayLog(inProcess, epochs);
    await log.onModuleInit();
    return log;
  };
  /** The n-th id of the run that took the latest epoch. */
  const at = (n: number) => lastEpoch * EPOCH_SPAN + n;

  it('numbers each user’s events one after the other in the order given, independently of other users', async () => {
    const log = await start();
    expect(await log.append([event(1), event(2), event(1)])).toEqual([at(1), at(1), at(2)]);
    expect(await log.append([event(1)])).toEqual([at(3)]);
    expect(await log.append([event(2)])).toEqual([at(2)]);
  });

  it('never gives an id twice across restarts, and asks a client from before one to resync', async () => {
    const before = await start();
    const seen = await before.append([event(7), event(7)]);
    const after = await start();
    const next = await after.append([event(7), event(7), event(7)]);
    expect(Math.min(...next)).toBeGreaterThan(Math.max(...seen));
    // The client saw the 2nd event before the restart: the three after it cannot all be told apart
    // from what was lost with the old run's memory, so it is told to resync, never given a part.
    expect(await after.since(7, seen[1])).toBe('resync');
    expect(await after.since(8, seen[1])).toBe('resync');
    // A stream opened after the restart resumes completely.
    expect(await after.since(7, next[0])).toEqual({
      events: [expect.objectContaining({ id: next[1] }), expect.objectContaining({ id: next[2] })],
    });
  });

  it('replays, in order, exactly the events after the last one the client saw', async () => {
    const log = await start();
    const before = await log.lastId(7);
    await log.append([event(7, '"a"'), event(7, '"b"'), event(7, '"c"')]);
    expect(await log.since(7, at(1))).toEqual({
      events: [
        { id: at(2), event: 'user_updated', data: '"b"' },
        { id: at(3), event: 'user_updated', data: '"c"' },
      ],
    });
    // A stream opened before the first event resumes with all of them.
    expect(await log.since(7, before)).toEqual({
      events: expect.arrayContaining([expect.objectContaining({ id: at(1) })]),
    });
  });

  it('replays nothing to a client that saw the last event, or to a user who never had one', async () => {
    const log = await start();
    await log.append([event(7), event(7)]);
    expect(await log.since(7, at(2))).toEqual({ events: [] });
    expect(await log.since(8, await log.lastId(8))).toEqual({ events: [] });
  });

  it('asks for a resync when the client names an id that was never given (the log was reset)', async () => {
    const log = await start();
    await log.append([event(7)]);
    expect(await log.since(7, at(2))).toBe('resync');
    expect(await log.since(8, at(1))).toBe('resync');
    expect(await log.since(7, 0)).toBe('resync');
  });

  it(`keeps the last ${REPLAY_EVENTS} events of a user: an older last id means a resync`, async () => {
    const log = await start();
    const total = REPLAY_EVENTS + 44;
    for (let i = 0; i < total; i += 1) await log.append([event(7, String(i))]);
    const oldestKept = at(total - REPLAY_EVENTS + 1);

    const replay = await log.since(7, oldestKept - 1);
    expect(replay).not.toBe('resync');
    const events = (replay as { events: { id: number }[] }).events;
    expect(events).toHaveLength(REPLAY_EVENTS);
    expect(events[0].id).toBe(oldestKept);
    expect(events.at(-1)?.id).toBe(at(total));

    expect(await log.since(7, oldestKept - 2)).toBe('resync');
    expect(await log.since(7, at(1))).toBe('resync');
  });
});

const { redisUrl } = loadConfig();
/** Event id counters in Redis, with REDIS_URL (the PostgreSQL + Redis run): in process there is none to expire. */
function redisCounters(): void {
  let redis: RedisService;
  let log: ReplayLog;
  const unused = {} as Repository<EventIdEpoch>;
  const event = (userId: number) => ({ userId, event: 'user_updated', data: '{}' });
  beforeEach(async () => {
    redis = new RedisService(
      { redisUrl, redisPrefix: `test:${randomBytes(5).toString('hex')}:` } as AppConfig,
      new Metrics(),
    );
    log = new ReplayLog(redis, unused);
    await log.onModuleInit();
  });
  afterEach(() => redis.onApplicationShutdown());

  const client = () => redis.client as NonNullable<RedisService['client']>;

  it('expire a while after a user’s last event or stream, each refreshing the time', async () => {
    await log.append([event(5)]);
    const key = redis.key('events', 'id', 5);
    expect(await client().ttl(key)).toBeGreaterThan(COUNTER_TTL_SECONDS - 60);
    expect(await client().ttl(key)).toBeLessThanOrEqual(COUNTER_TTL_SECONDS);
    await client().expire(key, 10);
    await log.lastId(5);
    expect(await client().ttl(key)).toBeGreaterThan(COUNTER_TTL_SECONDS - 60);
  });

  it('never give an id twice, also after a counter expired: the next one starts above them all', async () => {
    const seen = await log.append([event(6), event(6), event(6)]);
    const opened = await log.lastId(6);
    // What the expiry of both keys leaves: nothing of the user in Redis.
    await client().del(redis.key('events', 'id', 6), redis.key('events', 'log', 6));
    const next = await log.append([event(6), event(6)]);
    expect(Math.min(...next)).toBeGreaterThan(Math.max(...seen, opened));
    expect(next[1]).toBe(next[0] + 1);
    // A client that holds an id from before is told to resync, never given a part.
    expect(await log.since(6, seen[2])).toBe('resync');
  });
}

if (redisUrl) describe('event id counters in Redis', redisCounters);
