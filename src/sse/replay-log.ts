import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisService } from '../bus/redis.service.js';

/** How many recent events of each user are kept for `Last-Event-ID` replay. */
export const REPLAY_EVENTS = 256;
/** A user's replay buffer in Redis lives this long after their last event. */
const REPLAY_TTL_SECONDS = 3600;

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

/**
 * Per-user event ids (monotonic across instances) and a bounded per-user replay buffer:
 * Redis (INCR + a capped list, one script per event) when REDIS_URL is set, memory otherwise.
 */
@Injectable()
export class ReplayLog {
  private readonly memory = new Map<number, { last: number; events: LoggedEvent[] }>();

  constructor(private readonly redis: RedisService) {
    this.redis.client?.defineCommand('unichatAppendEvent', {
      numberOfKeys: 2,
      lua: `local id = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], id .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
redis.call('LTRIM', KEYS[2], -${REPLAY_EVENTS}, -1)
redis.call('EXPIRE', KEYS[2], ${REPLAY_TTL_SECONDS})
return id`,
    });
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

  /** The id of the user's latest event; 0 before the first. */
  async lastId(userId: number): Promise<number> {
    const client = this.redis.client;
    if (client) return Number((await client.get(this.idKey(userId))) ?? 0);
    return this.memory.get(userId)?.last ?? 0;
  }

  async since(userId: number, lastId: number): Promise<Replay> {
    const client = this.redis.client;
    let last: number;
    let events: LoggedEvent[];
    if (client) {
      const [counter, entries] = await Promise.all([
        client.get(this.idKey(userId)),
        client.lrange(this.logKey(userId), 0, -1),
      ]);
      last = Number(counter ?? 0);
      events = entries.map(parseEntry);
    } else {
      const log = this.memory.get(userId);
      last = log?.last ?? 0;
      events = log?.events ?? [];
    }
    if (lastId > last) return 'resync'; // an id we never gave: the log was reset
    if (lastId === last) return { events: [] };
    if (events.length === 0 || events[0].id > lastId + 1) return 'resync';
    return { events: events.filter((event) => event.id > lastId) };
  }

  private appendInMemory(event: NewEvent): number {
    const log = this.memory.get(event.userId) ?? { last: 0, events: [] };
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
