import { randomBytes } from 'node:crypto';
import type { Repository } from 'typeorm';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import type { DeliveryBatch } from '../bus/cluster-messages.js';
import { RedisService } from '../bus/redis.service.js';
import { type AppConfig, loadConfig } from '../config/app-config.js';
import { Metrics } from '../metrics/metrics.service.js';
import type { EventIdEpoch } from './event-id-epoch.entity.js';
import { COUNTER_TTL_SECONDS, EPOCH_SPAN, ReplayLog, REPLAY_EVENTS } from './replay-log.service.js';

describe('event ids and the replay buffer (in process)', () => {
  const inProcess = new RedisService(
    { redisUrl: null, redisPrefix: '' } as unknown as AppConfig,
    new Metrics(),
  );
  const event = (userId: number, data = '{}') => ({ userId, event: 'user_updated', data });
  /** The epochs table as the database keeps it: each start gets the next id. */
  let lastEpoch = 0;
  const epochs = {
    insert: async () => ({ identifiers: [{ id: ++lastEpoch }] }),
    delete: async () => ({ affected: 0 }),
  } as unknown as Repository<EventIdEpoch>;
  /** A log as one start of the service makes it. */
  const start = async () => {
    const log = new ReplayLog(inProcess, new ClusterBus(inProcess), epochs);
    await log.onModuleInit();
    return log;
  };
  /** The n-th id of the run that took the latest epoch. */
  const at = (n: number) => lastEpoch * EPOCH_SPAN + n;

  it('numbers each user’s events one after the other in the order given, independently of other users', async () => {
    const log = await start();
    expect(await log.publish([event(1), event(2), event(1)])).toEqual([at(1), at(1), at(2)]);
    expect(await log.publish([event(1)])).toEqual([at(3)]);
    expect(await log.publish([event(2)])).toEqual([at(2)]);
  });

  it('never gives an id twice across restarts, and asks a client from before one to resync', async () => {
    const before = await start();
    const seen = await before.publish([event(7), event(7)]);
    const after = await start();
    const next = await after.publish([event(7), event(7), event(7)]);
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
    await log.publish([event(7, '"a"'), event(7, '"b"'), event(7, '"c"')]);
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
    await log.publish([event(7), event(7)]);
    expect(await log.since(7, at(2))).toEqual({ events: [] });
    expect(await log.since(8, await log.lastId(8))).toEqual({ events: [] });
  });

  it('asks for a resync when the client names an id that was never given (the log was reset)', async () => {
    const log = await start();
    await log.publish([event(7)]);
    expect(await log.since(7, at(2))).toBe('resync');
    expect(await log.since(8, at(1))).toBe('resync');
    expect(await log.since(7, 0)).toBe('resync');
  });

  it(`keeps the last ${REPLAY_EVENTS} events of a user: an older last id means a resync`, async () => {
    const log = await start();
    const total = REPLAY_EVENTS + 44;
    for (let i = 0; i < total; i += 1) await log.publish([event(7, String(i))]);
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
  let prefix: string;
  /** Every instance's connections, closed after each test. */
  const instances: RedisService[] = [];
  const unused = {} as Repository<EventIdEpoch>;
  const event = (userId: number, data = '{}') => ({ userId, event: 'user_updated', data });
  /** One instance's Redis connections, on the test's keys. */
  const instance = () => {
    const made = new RedisService({ redisUrl, redisPrefix: prefix } as AppConfig, new Metrics());
    instances.push(made);
    return made;
  };
  beforeEach(async () => {
    prefix = `test:${randomBytes(5).toString('hex')}:`;
    redis = instance();
    log = new ReplayLog(redis, new ClusterBus(redis), unused);
    await log.onModuleInit();
  });
  afterEach(() => Promise.all(instances.splice(0).map((made) => made.onApplicationShutdown())));

  const client = () => redis.client as NonNullable<RedisService['client']>;

  it('expire a while after a user’s last event or stream, each refreshing the time', async () => {
    await log.publish([event(5)]);
    const key = redis.key('events', 'id', 5);
    expect(await client().ttl(key)).toBeGreaterThan(COUNTER_TTL_SECONDS - 60);
    expect(await client().ttl(key)).toBeLessThanOrEqual(COUNTER_TTL_SECONDS);
    await client().expire(key, 10);
    await log.lastId(5);
    expect(await client().ttl(key)).toBeGreaterThan(COUNTER_TTL_SECONDS - 60);
  });

  it('never give an id twice, also after a counter expired: the next one starts above them all', async () => {
    const seen = await log.publish([event(6), event(6), event(6)]);
    const opened = await log.lastId(6);
    // What the expiry of both keys leaves: nothing of the user in Redis.
    await client().del(redis.key('events', 'id', 6), redis.key('events', 'log', 6));
    const next = await log.publish([event(6), event(6)]);
    expect(Math.min(...next)).toBeGreaterThan(Math.max(...seen, opened));
    expect(next[1]).toBe(next[0] + 1);
    // A client that holds an id from before is told to resync, never given a part.
    expect(await log.since(6, seen[2])).toBe('resync');
  });

  it('reach every instance in id order, when two instances publish a user’s events at the same moment', async () => {
    const heard: number[] = [];
    const listener = new ClusterBus(instance());
    await listener.subscribe('sse.deliver', (batch: DeliveryBatch) => {
      for (const [userId, id] of batch.items) if (userId === 9) heard.push(id);
    });
    const other = new ReplayLog(instance(), new ClusterBus(redis), unused);
    const given: number[] = [];
    // Both instances take ids for user 9 in a tight race, with a second user's events in between.
    await Promise.all(
      Array.from({ length: 200 }, async (_unused, n) => {
        const from = n % 2 === 0 ? log : other;
        const ids = await from.publish([event(9, String(n)), event(10), event(9, String(n))]);
        given.push(ids[0], ids[2]);
      }),
    );
    await waitUntil(() => heard.length === given.length);
    expect(heard).toEqual([...given].sort((a, b) => a - b));
    // And the replay log holds them in the same order, with what each publish sent.
    const kept = await log.read(9);
    expect(kept.events.map((logged) => logged.id)).toEqual(heard.slice(-kept.events.length));
  });

  it('keep each event’s own data, also in a fan-out larger than one script takes', async () => {
    const heard = new Map<string, string>();
    const listener = new ClusterBus(instance());
    await listener.subscribe('sse.deliver', (batch: DeliveryBatch) => {
      for (const [userId, id, index] of batch.items) heard.set(`${userId}:${id}`, batch.payloads[index][1]);
    });
    const events = Array.from({ length: 1_203 }, (_unused, n) => event(1_000 + n, `{"n":${n}}`));
    const ids = await log.publish(events);
    await waitUntil(() => heard.size === events.length);
    events.forEach((sent, n) => expect(heard.get(`${sent.userId}:${ids[n]}`)).toBe(sent.data));
    expect((await log.since(1_500, ids[500] - 1)) as unknown).toEqual({
      events: [{ id: ids[500], event: 'user_updated', data: '{"n":500}' }],
    });
  });
}

/** Waits (up to 5 s) for what the bus delivers. */
async function waitUntil(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 5000) throw new Error('not heard within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

if (redisUrl) describe('event id counters in Redis', redisCounters);
