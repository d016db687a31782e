import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { LessThan, Repository } from 'typeorm';
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
const START_COUNTER = `if redis.call('EXISTS', KEYS[1]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] .. string.format('%06d', now[2]))
end
redis.call('EXPIRE', KEYS[1], ${COUNTER_TTL_SECONDS})`;

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
 * Per-user event ids (monotonic across instances, never repeated, also across restarts) and a
 * bounded per-user replay buffer: Redis (INCR + a capped list, one script per event) when
 * REDIS_URL is set, memory otherwise. A `Last-Event-ID` it cannot serve completely gets `resync`.
 */
@Injectable()
export class ReplayLog implements OnModuleInit {
  private readonly memory = new Map<number, { last: number; events: LoggedEvent[] }>();
  /** In process: this run's ids are above it (the "0" of every user in this run). */
  private base = 0;

  constructor(
    private readonly redis: RedisService,
    @InjectRepository(EventIdEpoch) private readonly epochs: Repository<EventIdEpoch>,
  ) {
    this.redis.client?.defineCommand('unichatLastEventId', {
      numberOfKeys: 1,
      lua: `${START_COUNTER}
return redis.call('GET', KEYS[1])`,
    });
    this.redis.client?.defineCommand('unichatAppendEvent', {
      numberOfKeys: 2,
      lua: `${START_COUNTER}
local id = redis.call('INCR', KEYS[1])
-- As digits: Lua would write a number this large as 1.79e+15, losing its last digits.
redis.call('RPUSH', KEYS[2], string.format('%d', id) .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
redis.call('LTRIM', KEYS[2], -${REPLAY_EVENTS}, -1)
redis.call('EXPIRE', KEYS[2], ${REPLAY_TTL_SECONDS})
return id`,
    });
  }

  async onModuleInit(): Promise<void> {
    if (this.redis.client) return;
    const { identifiers } = await this.epochs.insert({ startedAt: new Date() });
    const epoch = Number(identifiers[0].id);
    this.base = epoch * EPOCH_SPAN;
    await this.epochs.delete({ id: LessThan(epoch) });
  }

  /** Gives each event its id and keeps it for replay; ids in the order of `events`. */
  async append(events: NewEvent[]): Promise<number[]> {
    const client = this.redis.client;
    if (!client) return events.map((event) => this.appendInMemory(event));
    const pipeline = client.pipeline() as ReturnType<Redis['pipeline']> & {
      unichatAppendEvent(idKey: string, logKey: string, event: string, data: string): unknown;
    };
    for (const event of events) {
      pipeline.unichatAppendEvent(
        this.idKey(event.userId),
        this.logKey(event.userId),
        event.event,
        event.data,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, id]) => {
      if (error) throw error;
      return Number(id);
    });
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
