import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { EventBus } from '../bus/event-bus.service.js';
import { inTransaction } from '../database/transaction.js';
import { StreamHub, type StreamCounter } from '../sse/stream-hub.service.js';
import { RedisService } from '../bus/redis.service.js';
import { lastSeenHint, type LastSeenHint } from '../users/last-seen-privacy.js';
import type { OwnRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { USER_STATUSES, type UserStatus } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { PresenceSource } from '../users/view-sources.js';
import {
  MemoryPresenceStore,
  type PresenceStore,
  presenceTimings,
  RedisPresenceStore,
} from './presence.store.js';

export interface LastSeen {
  user_id: number;
  is_online: boolean;
  last_seen_at: string | null;
  seconds_ago: number | null;
  /** Instead of the exact time, for a caller the user's last-seen privacy keeps it from. */
  last_seen_hint: LastSeenHint | null;
}

/**
 * Online/offline from open streams on any instance, status, and last seen. Changes are published
 * as 'presence.changed'; the event gateway tells friends.
 */
@Injectable()
export class PresenceService
  implements PresenceSource, StreamCounter, OnModuleInit, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger('Presence');
  private readonly store: PresenceStore;
  /** Users whose last stream here closed, waiting out the grace period; `closedAt` becomes last_seen_at. */
  private readonly pendingOffline = new Map<number, { timer: NodeJS.Timeout; closedAt: Date }>();
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly timings: { beatMs: number; deadAfterMs: number };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly streams: StreamHub,
    redis: RedisService,
  ) {
    this.timings = presenceTimings(config.presenceTtlSeconds * 1000);
    this.store = redis.client
      ? new RedisPresenceStore(
          redis.client,
          (...parts) => redis.key(...parts),
          this.timings.deadAfterMs,
          () => clock.nowMs(),
        )
      : new MemoryPresenceStore();
  }

  async onModuleInit(): Promise<void> {
    this.records.usePresence(this);
    this.streams.useStreamCounter(this);
    await this.tick();
    this.ticker = setInterval(() => void this.tick(), this.timings.beatMs).unref();
  }

  onlineAmong(userIds: number[]): Promise<Set<number>> {
    return this.store.onlineAmong(userIds);
  }

  /**
   * Counts a stream that is opening, unless the user holds `max` streams on all instances already:
   * then false, and nothing changes.
   */
  async streamOpened(userId: number, max?: number): Promise<boolean> {
    const added = await this.store.add(userId, max);
    if (added === 'full') return false;
    clearTimeout(this.pendingOffline.get(userId)?.timer);
    this.pendingOffline.delete(userId);
    if (added) this.events.emit('presence.changed', { userId, becameInvisible: false, onlineOnly: true });
    return true;
  }

  /** Offline is decided after the grace period, so a page reload does not flicker. */
  async streamClosed(userId: number): Promise<void> {
    // With Redis, streams closed by our own shutdown stay counted: leave() hands them to the other
    // instances, which settle them (offline, unless the client has reconnected to one of them).
    if (this.stopping && this.store instanceof RedisPresenceStore) return;
    const closedAt = this.clock.now();
    await this.store.remove(userId);
    clearTimeout(this.pendingOffline.get(userId)?.timer);
    const timer = setTimeout(() => {
      this.pendingOffline.delete(userId);
      void this.settle(userId, closedAt);
    }, this.config.presenceGraceSeconds * 1000);
    this.pendingOffline.set(userId, { timer, closedAt });
  }

  async setStatus(userId: number, status: unknown): Promise<OwnRecord> {
    if (status !== null && !USER_STATUSES.includes(status as UserStatus)) {
      throw new AppError('invalid_user_status');
    }
    const user = await this.users.getById(userId);
    const next = status as UserStatus | null;
    if (user.status !== next) {
      const becameInvisible = next === 'invisible';
      const changes: { status: UserStatus | null; lastSeenAt?: Date } = { status: next };
      // Invisible: others see last_seen_at frozen at this moment.
      if (becameInvisible && (await this.store.onlineAmong([userId])).has(userId))
        changes.lastSeenAt = this.clock.now();
      // A transaction of its own, so what the change announces is written with it (webhooks).
      await inTransaction(this.dataSource, async (tx) => {
        await this.users.update(tx.manager, userId, changes);
        this.events.publish(tx, 'presence.changed', { userId, becameInvisible, onlineOnly: false });
        this.events.publish(tx, 'user.updated', { userId });
      });
    }
    return this.records.own(await this.users.getById(userId));
  }

  async lastSeen(userId: number, viewerId: number | null): Promise<LastSeen> {
    const user = await this.users.getById(userId);
    const own = viewerId === userId;
    // Told only to signed-in callers the user has not blocked, and never while invisible.
    const hidden =
      !own &&
      (viewerId === null ||
        user.status === 'invisible' ||
        (await this.records.isHiddenFrom(userId, viewerId)));
    const hiddenRecord = { user_id: userId, is_online: false, last_seen_at: null, seconds_ago: null };
    if (hidden) return { ...hiddenRecord, last_seen_hint: null };
    const online = (await this.store.onlineAmong([userId])).has(userId);
    if (!own && (await this.records.lastSeenWithheld(user, viewerId))) {
      const invisible = user.status === 'invisible';
      return {
        ...hiddenRecord,
        last_seen_hint: lastSeenHint(user.lastSeenAt, online && !invisible, this.clock.nowMs()),
      };
    }
    const seen = online ? this.clock.now() : user.lastSeenAt;
    return {
      user_id: userId,
      is_online: online,
      last_seen_at: seen?.toISOString() ?? null,
      seconds_ago: seen ? Math.max(0, Math.floor((this.clock.nowMs() - seen.getTime()) / 1000)) : null,
      last_seen_hint: null,
    };
  }

  /** `at`: when the last stream closed (last_seen_at), else now (an instance found dead). */
  private async settle(userId: number, at?: Date): Promise<void> {
    try {
      if (!(await this.store.settle(userId))) return;
      const user = await this.users.findById(userId);
      if (!user) return;
      // An invisible user's last seen stays frozen at the moment they went invisible.
      if (user.status !== 'invisible') {
        await this.users.update(this.dataSource.manager, userId, { lastSeenAt: at ?? this.clock.now() });
      }
      this.events.emit('presence.changed', { userId, becameInvisible: false, onlineOnly: true });
    } catch (error) {
      this.logger.warn(`could not settle presence of user ${userId}: ${(error as Error).message}`);
    }
  }

  private async tick(): Promise<void> {
    try {
      for (const userId of await this.store.tick()) await this.settle(userId);
    } catch (error) {
      this.logger.warn(`presence heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** Runs before the gateway closes its streams at shutdown (see streamClosed). */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    // Nobody would settle these later: do it now, while the database and Redis are still open.
    const pending = [...this.pendingOffline];
    this.pendingOffline.clear();
    for (const [, { timer }] of pending) clearTimeout(timer);
    for (const [userId, { closedAt }] of pending) await this.settle(userId, closedAt);
    await this.store.leave().catch(() => undefined);
    await this.events.drain();
  }
}
