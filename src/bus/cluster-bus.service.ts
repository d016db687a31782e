import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ClusterChannel, ClusterMessages } from './cluster-messages.js';
import { RedisService } from './redis.service.js';

type Handler = (payload: unknown) => void;

/** How often an instance sends itself a heartbeat over the bus. */
export const BUS_HEARTBEAT_EVERY_MS = 2000;
/** Without its own heartbeat for this long, an instance no longer counts itself in sync. */
export const BUS_HEARTBEAT_MISSED_AFTER_MS = 5000;
/** How often the heartbeat is looked for: a miss is noticed within this of the window. */
const CHECK_EVERY_MS = 1000;

/**
 * Cluster messages (cluster-messages.ts), between instances: Redis pub/sub when REDIS_URL is
 * set, else within this process. Every instance, the publisher included, receives each once.
 *
 * With Redis, an instance knows it hears the bus only while it hears its own heartbeat, sent over
 * it every 2 s: a connection can go silent without a reset (a NAT or a load balancer forgets an
 * idle flow) and still look connected. After 5 s without it the instance is out of sync: state
 * kept from messages is checked against the database (`whileOutOfSync`), and the connections are
 * dropped and opened again. The next heartbeat heard brings it back, once what it may have missed
 * is caught up (`onReconnect`).
 */
@Injectable()
export class ClusterBus implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Handler[]>();
  private subscriber: Redis | null = null;
  /** The channels this instance listens to: subscribed again each time the subscriber reconnects. */
  private readonly channels = new Set<string>();
  private readonly reconnectHandlers: (() => unknown)[] = [];
  private readonly outOfSyncHandlers: (() => unknown)[] = [];
  /** The channel of this instance's own heartbeat, which only it listens to. */
  private readonly heartbeatChannel: string;
  private timer: NodeJS.Timeout | null = null;
  /**
   * Monotonic times: the heartbeat last heard (or the bus started) and sent, the last beat, the
   * last check while out of sync, the last time the connections were dropped.
   */
  private heardAt = performance.now();
  private sentAt = 0;
  private beatAt = performance.now();
  private checkedAt = 0;
  private reconnectedAt = 0;
  /** The heartbeat was missed or the subscriber dropped: out of sync until a heartbeat is heard. */
  private lost = false;
  /** Counts the changes of `lost` (see `syncEpoch`). */
  private lostChanges = 0;
  /** After a heartbeat brought it back, until every reconnect handler has caught up with what was missed. */
  private catchingUp = false;
  /** The out-of-sync handlers are running (a slow database must not stack them up). */
  private checking = false;

  constructor(private readonly redis: RedisService) {
    this.heartbeatChannel = redis.key('heartbeat', randomBytes(8).toString('hex'));
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    await this.listen(this.heartbeatChannel);
    this.heardAt = this.beatAt = performance.now();
    this.timer = setInterval(() => this.beat(), CHECK_EVERY_MS).unref();
    this.beat();
  }

  async subscribe<C extends ClusterChannel>(
    channel: C,
    handler: (message: ClusterMessages[C]) => void,
  ): Promise<void> {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler as Handler);
    this.handlers.set(channel, list);
    if (this.redis.enabled && list.length === 1) await this.listen(this.wireChannel(channel));
  }

  private async listen(wireChannel: string): Promise<void> {
    this.channels.add(wireChannel);
    await this.redisSubscriber().subscribe(wireChannel);
  }

  /** Called when the instance is back in sync: messages may have been missed while it was not. */
  onReconnect(handler: () => unknown): void {
    this.reconnectHandlers.push(handler);
  }

  /**
   * Called as soon as the instance is out of sync, then at every heartbeat until it is back: what
   * is kept from messages (which sessions ended) is to be checked against the database meanwhile.
   */
  whileOutOfSync(handler: () => unknown): void {
    this.outOfSyncHandlers.push(handler);
  }

  /** Whether messages reach other processes (Redis); in process they reach this process only. */
  get reachesOtherProcesses(): boolean {
    return this.redis.enabled;
  }

  /**
   * Whether this instance hears every message now and has caught up with those it missed: always
   * in process; with Redis, while it hears its own heartbeat and its reconnect handlers are done.
   * While not, state kept from messages (revoked sessions) must be read from the database.
   */
  get inSync(): boolean {
    if (!this.redis.enabled) return true;
    return (
      this.subscriber?.status === 'ready' &&
      !this.lost &&
      !this.catchingUp &&
      performance.now() - this.heardAt <= BUS_HEARTBEAT_MISSED_AFTER_MS
    );
  }

  /**
   * Changes as soon as the instance counts itself out of sync, and again when it hears its
   * heartbeat again (just before the reconnect handlers run). Compared with its value when state
   * was last read from its source (the replay log, say), it tells whether messages may have been
   * missed since: not while it is unchanged. Over a connection gone silent they are lost before it
   * changes, but then nothing is heard either until it has changed.
   */
  get syncEpoch(): number {
    return this.lostChanges;
  }

  async publish<C extends ClusterChannel>(channel: C, message: ClusterMessages[C]): Promise<void> {
    if (this.redis.client) {
      await this.redis.client.publish(this.wireChannel(channel), JSON.stringify(message));
      return;
    }
    this.dispatch(channel, message);
  }

  /**
   * The Redis channel a message of `channel` goes on: for a script that publishes in the same
   * step as it changes what the message tells of (ReplayLog).
   */
  wireChannel(channel: ClusterChannel): string {
    return this.redis.key('bus', channel);
  }

  private dispatch(channel: string, payload: unknown): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        this.logger.error({ err: error }, `handler of ${channel} failed`);
      }
    }
  }

  private redisSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.subscriber();
    const prefix = this.redis.key('bus', '');
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.heartbeatChannel) return this.heard();
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        this.logger.warn(`dropped a malformed message on ${channel}`);
        return;
      }
      this.dispatch(channel.slice(prefix.length), payload);
    });
    // Messages sent until it is subscribed again are lost: in sync again only after a heartbeat.
    let dropped = false;
    subscriber.on('close', () => {
      dropped = true;
      this.setLost(true);
    });
    subscriber.on('ready', () => {
      if (!dropped) return; // the first connection: `listen` subscribes
      dropped = false;
      subscriber
        .subscribe(...this.channels)
        // Subscribed again: a heartbeat at once, rather than at the next beat, brings it back sooner.
        .then(() => this.sendHeartbeat())
        // Dropped again, or closed at shutdown: it stays out of sync, and the next `ready` tries again.
        .catch((error: Error) => this.logger.warn(`could not subscribe again: ${error.message}`));
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  /** Every second: sends the heartbeat when due, and looks for it. */
  private beat(): void {
    const now = performance.now();
    // Late by a beat or more: this process was busy, and its heartbeat may be waiting to be read.
    const late = now - this.beatAt > 2 * CHECK_EVERY_MS;
    this.beatAt = now;
    if (now - this.sentAt >= BUS_HEARTBEAT_EVERY_MS) this.sendHeartbeat();
    if (late || (now - this.heardAt <= BUS_HEARTBEAT_MISSED_AFTER_MS && !this.lost)) return;
    if (!this.lost) {
      this.setLost(true);
      this.logger.warn('the bus heartbeat was missed: out of sync, sessions are read from the database');
    }
    if (now - this.checkedAt >= BUS_HEARTBEAT_EVERY_MS) {
      this.checkedAt = now;
      void this.checkWhileOutOfSync();
    }
    // A silent connection looks open: only dropping it gets a working one (ioredis reconnects).
    if (
      now - this.heardAt > BUS_HEARTBEAT_MISSED_AFTER_MS &&
      now - this.reconnectedAt >= BUS_HEARTBEAT_MISSED_AFTER_MS
    ) {
      this.reconnectedAt = now;
      this.redis.reconnect();
    }
  }

  private sendHeartbeat(): void {
    this.sentAt = performance.now();
    // A failure shows as a heartbeat missed.
    this.redis.client?.publish(this.heartbeatChannel, '1').catch(() => undefined);
  }

  private heard(): void {
    this.heardAt = performance.now();
    if (this.lost && !this.catchingUp) void this.catchUp();
  }

  private async checkWhileOutOfSync(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.runAll(this.outOfSyncHandlers, 'an out-of-sync handler');
    } finally {
      this.checking = false;
    }
  }

  private async catchUp(): Promise<void> {
    this.catchingUp = true;
    this.setLost(false);
    const caughtUp = await this.runAll(this.reconnectHandlers, 'a reconnect handler');
    // A handler that failed (the database away too) leaves it out of sync: tried again at the next heartbeat.
    if (!caughtUp) this.setLost(true);
    else if (!this.lost) this.logger.log('the bus heartbeat is heard again: back in sync');
    this.catchingUp = false;
  }

  /** Every change of `lost` goes through here, so `syncEpoch` sees each one. */
  private setLost(lost: boolean): void {
    if (lost !== this.lost) this.lostChanges += 1;
    this.lost = lost;
  }

  /** Runs every handler; true when all succeeded. */
  private async runAll(handlers: (() => unknown)[], what: string): Promise<boolean> {
    const results = await Promise.allSettled(handlers.map(async (handler) => handler()));
    for (const result of results) {
      if (result.status === 'rejected') this.logger.error({ err: result.reason }, `${what} failed`);
    }
    return results.every((result) => result.status === 'fulfilled');
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async onApplicationShutdown(): Promise<void> {
    this.handlers.clear();
  }
}
