import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { LessThan, Repository } from 'typeorm';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import type { DeliveryBatch } from '../bus/cluster-messages.js';
import { RedisService } from '../bus/redis.service.js';
import { EventIdEpoch } from './event-id-epoch.entity.js';

/** How many recent events of each user are kept for `Last-Event-ID` replay. */
export const REPLAY_EVENTS = 256;
/** A user's replay buffer in Redis lives this long after their last event. */
const REPLAY_TTL_SECONDS = 3600;
/**
 * In process, a run's ids are `epoch × EPOCH_SPAN + n`: a restart takes a new epoch from the
 * database, so ids never repeat and an id from before it is recognisably older than all after it.
 */
export const EPOCH_SPAN = 1_000_000_000;
/**
 * A user's id counter in Redis lives this long after their last event or stream opened, then
 * goes (it is no use once the buffer is gone and no client is left that holds an id of it).
 */
export const COUNTER_TTL_SECONDS = 7 * 24 * 3600;
/**
 * In Redis, a user's counter that is created (first event, its key expired, or Redis lost it)
 * starts at Redis's clock in microseconds: above every id given before, since every id given by
 * an earlier counter is its own start plus its count of events, and no user has had more than one
 * event per microsecond since. So the counter may expire without an id ever coming twice.
 */
const START_COUNTER = `local function start_counter(key)
  if redis.call('EXISTS', key) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', key, now[1] .. string.format('%06d', now[2]))
  end
  redis.call('EXPIRE', key, ${COUNTER_TTL_SECONDS})
end`;
/**
 * Takes the ids of a chunk of events, logs them and publishes their delivery batch, in one step:
 * Redis runs a script alone, so the batches of every instance reach every subscriber in the order
 * their ids were taken. KEYS: each event's counter and log. ARGV: the channel, the batch's JSON up
 * to its items, then each event's name, data, user id and payload index.
 */
const PUBLISH_EVENTS = `${START_COUNTER}
local items, ids = {}, {}
for n = 1, #KEYS / 2 do
  local counter, log, at = KEYS[2 * n - 1], KEYS[2 * n], 2 + 4 * (n - 1)
  start_counter(counter)
  -- As digits: Lua would write a number this large as 1.79e+15, losing its last digits.
  local id = string.format('%d', redis.call('INCR', counter))
  redis.call('RPUSH', log, id .. '\\n' .. ARGV[at + 1] .. '\\n' .. ARGV[at + 2])
  redis.call('LTRIM', log, -${REPLAY_EVENTS}, -1)
  redis.call('EXPIRE', log, ${REPLAY_TTL_SECONDS})
  items[n] = '[' .. ARGV[at + 3] .. ',' .. id .. ',' .. ARGV[at + 4] .. ']'
  ids[n] = id
end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. table.concat(items, ',') .. ']}')
return ids`;
/** Events per script: a fan-out to thousands is published in chunks, each one step of Redis's. */
const EVENTS_PER_SCRIPT = 500;

export interface LoggedEvent {
  id: number;
  event: string;
  data: string;
}

export interface NewEvent {
  userId: number;
  event: string;
  data: string;
  /** The sender wants to know whether an open stream took it (DeliveryReceipts). */
  receipt?: boolean;
}

/** What a reconnecting stream gets: the events it missed, or `resync` when they are gone. */
export type Replay = { events: LoggedEvent[] } | 'resync';

/** A user's log as read once: the id of their latest event, and the events kept (oldest first). */
export interface KeptEvents {
  /** Null when there is no counter: the user never had an event, or Redis lost it. */
  last: number | null;
  events: LoggedEvent[];
}

/**
 * What a stream that last had `lastId` gets from a log read: the events after it, or `resync`
 * when the log cannot serve them all. Apart from the read, so one read serves every stream of a
 * user.
 */
export function replayAfter(kept: KeptEvents, lastId: number): Replay {
  const { last, events } = kept;
  // No counter: nothing to replay from.
  if (last === null) return 'resync';
  if (lastId > last) return 'resync'; // an id we never gave: the log was reset
  if (lastId === last) return { events: [] };
  // Older than what is kept: from before a restart, or fallen out of the buffer.
  if (events.length === 0 || events[0].id > lastId + 1) return 'resync';
  return { events: events.filter((event) => event.id > lastId) };
}

/**
 * Per-user event ids (monotonic across instances, never repeated, also across restarts), a
 * bounded per-user replay buffer, and the publication of each event to every instance's streams:
 * Redis when REDIS_URL is set (one script takes the ids, logs the events and publishes them),
 * memory and the in-process bus otherwise. Either way an event is published in the same step as
 * its id is taken, so every instance hears each user's events in id order: a stream never gets
 * an event after a later one, which would make a client that resumes from the last id it got ask
 * for the later one again, or, dropped in between, never get the earlier one. A `Last-Event-ID`
 * the log cannot serve completely gets `resync`.
 */
@Injectable()
export class ReplayLog implements OnModuleInit {
  private readonly memory = new Map<number, { last: number; events: LoggedEvent[] }>();
  /** In process: this run's ids are above it (the "0" of every user in this run). */
  private base = 0;

  constructor(
    private readonly redis: RedisService,
    private readonly bus: ClusterBus,
    @InjectRepository(EventIdEpoch) private readonly epochs: Repository<EventIdEpoch>,
  ) {
    this.redis.client?.defineCommand('unichatLastEventId', {
      numberOfKeys: 1,
      lua: `${START_COUNTER}
start_counter(KEYS[1])
return redis.call('GET', KEYS[1])`,
    });
    // The number of keys comes first in each call: it is two per event.
    this.redis.client?.defineCommand('unichatPublishEvents', { lua: PUBLISH_EVENTS });
  }

  async onModuleInit(): Promise<void> {
    if (this.redis.client) return;
    const { identifiers } = await this.epochs.insert({ startedAt: new Date() });
    const epoch = Number(identifiers[0].id);
    this.base = epoch * EPOCH_SPAN;
    await this.epochs.delete({ id: LessThan(epoch) });
  }

  /**
   * Gives each event its id, keeps it for replay and publishes it to the streams of every
   * instance (`sse.deliver`); answers the ids in the order of `events`.
   */
  async publish(events: NewEvent[]): Promise<number[]> {
    const at = Date.now();
    const client = this.redis.client as
      (Redis & { unichatPublishEvents(...args: (string | number)[]): Promise<string[]> }) | null;
    if (!client) {
      // Taken and dispatched in one synchronous step: nothing of another publish comes between.
      const ids = events.map((event) => this.appendInMemory(event));
      const { batch, items } = deliveryBatch(events, at);
      void this.bus.publish('sse.deliver', {
        ...batch,
        items: items.map(([userId, index], n) => [userId, ids[n], index]),
      });
      return ids;
    }
    const channel = this.bus.wireChannel('sse.deliver');
    const chunks: Promise<string[]>[] = [];
    for (let from = 0; from < events.length; from += EVENTS_PER_SCRIPT) {
      const chunk = events.slice(from, from + EVENTS_PER_SCRIPT);
      const { batch, items } = deliveryBatch(chunk, at);
      const keys = chunk.flatMap((event) => [this.idKey(event.userId), this.logKey(event.userId)]);
      // The batch's JSON without its items, which the script writes with the ids it takes.
      const head = `${JSON.stringify(batch).slice(0, -1)},"items":[`;
      const args = chunk.flatMap((event, n) => [event.event, event.data, ...items[n]]);
      // Sent one after the other on one connection: Redis runs them in this order.
      chunks.push(client.unichatPublishEvents(keys.length, ...keys, channel, head, ...args));
    }
    return (await Promise.all(chunks)).flat().map(Number);
  }

  /** The id of the user's latest event, or the id their first one will follow. */
  async lastId(userId: number): Promise<number> {
    const client = this.redis.client as (Redis & { unichatLastEventId(key: string): Promise<string> }) | null;
    if (client) return Number(await client.unichatLastEventId(this.idKey(userId)));
    return this.memory.get(userId)?.last ?? this.base;
  }

  async since(userId: number, lastId: number): Promise<Replay> {
    return replayAfter(await this.read(userId), lastId);
  }

  /** The user's log as it is now: one read, whatever number of streams it serves. */
  async read(userId: number): Promise<KeptEvents> {
    const client = this.redis.client;
    if (!client) {
      const log = this.memory.get(userId);
      // A copy: the kept array changes with the next event, and a read is used across awaits.
      return { last: log?.last ?? this.base, events: log?.events.slice() ?? [] };
    }
    const [counter, entries] = await Promise.all([
      client.get(this.idKey(userId)),
      client.lrange(this.logKey(userId), 0, -1),
    ]);
    return { last: counter === null ? null : Number(counter), events: entries.map(parseEntry) };
  }

  private appendInMemory(event: NewEvent): number {
    const log = this.memory.get(event.userId) ?? { last: this.base, events: [] };
    log.last += 1;
    log.events.push({ id: log.last, event: event.event, data: event.data });
    if (log.events.length > REPLAY_EVENTS) log.events.splice(0, log.events.length - REPLAY_EVENTS);
    this.memory.set(event.userId, log);
    return log.last;
  }

  private idKey(userId: number): string {
    return this.redis.key('events', 'id', userId);
  }

  private logKey(userId: number): string {
    return this.redis.key('events', 'log', userId);
  }
}

function parseEntry(entry: string): LoggedEvent {
  const first = entry.indexOf('\n');
  const second = entry.indexOf('\n', first + 1);
  return {
    id: Number(entry.slice(0, first)),
    event: entry.slice(first + 1, second),
    data: entry.slice(second + 1),
  };
}

/**
 * A delivery batch of `events` but for its items (which carry the ids), and each item's user id
 * and payload index. Each distinct payload goes once; the items name them by index.
 */
function deliveryBatch(
  events: NewEvent[],
  at: number,
): { batch: Omit<DeliveryBatch, 'items'>; items: [number, number][] } {
  const payloads: DeliveryBatch['payloads'] = [];
  // Keyed by the strings themselves: one serialised payload is one string object, hashed once.
  const indexOf = new Map<string, Map<string, number>>();
  const items = events.map((event): [number, number] => {
    let byData = indexOf.get(event.event);
    if (!byData) indexOf.set(event.event, (byData = new Map()));
    let index = byData.get(event.data);
    if (index === undefined) {
      index = payloads.push([event.event, event.data]) - 1;
      byData.set(event.data, index);
    }
    return [event.userId, index];
  });
  const receipts = events.flatMap((event, n) => (event.receipt ? [n] : []));
  return { batch: { payloads, at, ...(receipts.length > 0 ? { receipts } : {}) }, items };
}
