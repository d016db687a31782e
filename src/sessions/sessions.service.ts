import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { EntityManager, In, IsNull, MoreThanOrEqual, Not, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import { inTransaction, type Transaction } from '../database/transaction.js';
import { AccessTokenKeys } from './access-token-keys.service.js';
import { hashToken, newSecretToken, sameHash } from './secret-token.js';
import { Session } from './session.entity.js';

export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface SessionRecord {
  id: number;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

/** Sessions read in one query by `checkEnded` (SQLite takes at most 999 parameters by default). */
const CHECKED_AT_ONCE = 500;

/** last_used_at is written at most this often per session, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;
/** Without Redis: how often sessions ended by another process on the database are looked for, and how far back. */
const ALONE_POLL_MS = 2000;
const ALONE_LOOKBACK_MS = 60_000;

/**
 * Sessions and access tokens. A revoked session's access tokens are refused at once without a
 * database read per request: every instance keeps the ids of sessions revoked within the last
 * access-token lifetime in memory, loaded at start and kept current over ClusterBus.
 */
@Injectable()
export class SessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Sessions');
  /** Revoked session id -> when its last access token has expired and the id can be forgotten. */
  private readonly revoked = new Map<number, number>();
  private readonly touchedAt = new Map<number, number>();
  private readonly endedHandlers: ((ids: number[]) => void)[] = [];
  private readonly endingSteps: ((manager: EntityManager, ids: number[]) => Promise<void>)[] = [];
  private poller: NodeJS.Timeout | null = null;
  private readonly authTokenKey: Buffer;
  /** Auth tokens of sessions, derived once per instance (~100 bytes each); '' for none. */
  private readonly authTokens = new LRUCache<number, string>({ max: 20_000 });

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokenKeys: AccessTokenKeys,
    private readonly bus: ClusterBus,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {
    this.authTokenKey = createHmac('sha256', config.jwtSecret).update('unichat auth token key').digest();
  }

  /**
   * A step of ending sessions that belongs to another module (their SSE codes are deleted), run in
   * the transaction that ends them. Registered at start-up, so the dependency points to sessions.
   */
  onEnding(step: (manager: EntityManager, ids: number[]) => Promise<void>): void {
    this.endingSteps.push(step);
  }

  /** Called on every instance with the ids of sessions that ended anywhere (streams close on it). */
  onEnded(handler: (ids: number[]) => void): void {
    this.endedHandlers.push(handler);
  }

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('sessions.revoked', ({ ids }) => this.remember(ids));
    this.bus.onReconnect(() => this.loadRecentRevocations());
    await this.loadRecentRevocations();
    if (!this.bus.reachesOtherProcesses) {
      this.poller = setInterval(() => void this.readEndedElsewhere(), ALONE_POLL_MS).unref();
    }
  }

  onModuleDestroy(): void {
    if (this.poller) clearInterval(this.poller);
  }

  /**
   * Sessions ended lately that this instance has not heard of. Without Redis another process on
   * the same database (the admin CLI) cannot tell it, so it looks: their tokens are then refused
   * and their streams closed, as if it had heard.
   */
  private async readEndedElsewhere(): Promise<void> {
    try {
      const rows = await this.sessions.find({
        where: { revokedAt: MoreThanOrEqual(new Date(this.clock.nowMs() - ALONE_LOOKBACK_MS)) },
        select: { id: true },
      });
      const unheard = rows.map((row) => row.id).filter((id) => !this.revoked.has(id));
      if (unheard.length > 0) this.remember(unheard);
    } catch (error) {
      this.logger.warn(`could not read ended sessions: ${(error as Error).message}`);
    }
  }

  async create(
    manager: EntityManager,
    input: { userId: number; userAgent: string | null; ip: string | null },
  ): Promise<{ session: Session; authToken: string }> {
    const authNonce = newSecretToken();
    const authToken = this.deriveAuthToken(authNonce);
    const now = this.clock.now();
    const session = manager.create(Session, {
      userId: input.userId,
      authTokenHash: hashToken(authToken),
      authNonce,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
      ip: input.ip?.slice(0, 64) ?? null,
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
    });
    await manager.save(Session, session);
    return { session, authToken };
  }

  /**
   * The session's auth token, for the own record answered to that session; null for a session
   * opened before tokens were derived, or after JWT_SECRET changed (its token still logs in).
   */
  async authTokenOf(sessionId: number): Promise<string | null> {
    const known = this.authTokens.get(sessionId);
    if (known !== undefined) return known || null;
    const row = await this.sessions.findOne({
      where: { id: sessionId },
      select: { id: true, authNonce: true, authTokenHash: true },
    });
    const token = row?.authNonce ? this.deriveAuthToken(row.authNonce) : null;
    const usable = token !== null && sameHash(hashToken(token), row?.authTokenHash ?? '') ? token : null;
    this.authTokens.set(sessionId, usable ?? '');
    return usable;
  }

  /** The live session an auth token belongs to (`evenEnded`: or the ended one), or null. */
  async findByAuthToken(authToken: string, { evenEnded = false } = {}): Promise<Session | null> {
    const authTokenHash = hashToken(authToken);
    return this.sessions.findOneBy(evenEnded ? { authTokenHash } : { authTokenHash, revokedAt: IsNull() });
  }

  issueAccessToken(session: Pick<Session, 'id' | 'userId'>, emailConfirmed: boolean): AccessToken {
    return {
      access_token: this.tokenKeys.sign({ userId: session.userId, sessionId: session.id, emailConfirmed }),
      token_type: 'Bearer',
      expires_in: this.config.accessTokenTtl,
    };
  }

  /** Whether the session exists, is the user's and has not ended, as the database says now. */
  async isLive(sessionId: number, userId: number, manager?: EntityManager): Promise<boolean> {
    const repository = manager ? manager.getRepository(Session) : this.sessions;
    return (await repository.countBy({ id: sessionId, userId, revokedAt: IsNull() })) > 0;
  }

  /**
   * Reads which of these sessions have ended, from the database, and handles those as a revocation
   * heard over the bus (remembered, their streams closed): for an instance that cannot hear it now.
   */
  async checkEnded(sessionIds: number[]): Promise<void> {
    const live = new Set<number>();
    for (let start = 0; start < sessionIds.length; start += CHECKED_AT_ONCE) {
      const rows = await this.sessions.find({
        where: { id: In(sessionIds.slice(start, start + CHECKED_AT_ONCE)), revokedAt: IsNull() },
        select: { id: true },
      });
      for (const row of rows) live.add(row.id);
    }
    const ended = sessionIds.filter((id) => !live.has(id));
    if (ended.length > 0) this.remember(ended);
  }

  isRevoked(sessionId: number): boolean {
    const forgetAt = this.revoked.get(sessionId);
    if (forgetAt === undefined) return false;
    if (forgetAt < this.clock.nowMs()) {
      this.revoked.delete(sessionId);
      return false;
    }
    return true;
  }

  /** Records that a session was used, at most once a minute; never delays the request. */
  touch(sessionId: number): void {
    const now = this.clock.nowMs();
    if (now - (this.touchedAt.get(sessionId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(sessionId, now);
    if (this.touchedAt.size > 50_000) this.touchedAt.clear();
    this.sessions
      .update({ id: sessionId }, { lastUsedAt: new Date(now) })
      .catch((error: Error) => this.logger.warn(`could not record session use: ${error.message}`));
  }

  async list(userId: number, currentSessionId: number): Promise<SessionRecord[]> {
    const rows = await this.sessions.find({
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    return rows.map((row) => ({
      id: row.id,
      created_at: row.createdAt.toISOString(),
      last_used_at: row.lastUsedAt.toISOString(),
      user_agent: row.userAgent,
      ip: row.ip,
      current: row.id === currentSessionId,
    }));
  }

  /** Ends one of the user's sessions; `not_found` when it is not theirs or already ended. */
  async end(userId: number, sessionId: number): Promise<void> {
    await inTransaction(this.sessions.manager, async (tx) => {
      const result = await tx.manager.update(
        Session,
        { id: sessionId, userId, revokedAt: IsNull() },
        { revokedAt: this.clock.now() },
      );
      if (!result.affected) throw new AppError('not_found', `no session ${sessionId}`);
      await this.ended(tx, userId, [sessionId]);
    });
  }

  /** Ends every session of the user but the calling one, in a transaction of its own. */
  async endOthers(userId: number, keep: number): Promise<number[]> {
    return inTransaction(this.sessions.manager, (tx) => this.endAll(tx, userId, keep));
  }

  /**
   * Ends every session of the user except `keep` (null: all of them) in the caller's transaction;
   * every instance hears of it once that commits.
   */
  async endAll(tx: Transaction, userId: number, keep: number | null): Promise<number[]> {
    const repository = tx.manager.getRepository(Session);
    const where = { userId, revokedAt: IsNull(), ...(keep === null ? {} : { id: Not(keep) }) };
    const ids = (await repository.find({ where, select: { id: true } })).map((row) => row.id);
    if (ids.length > 0) {
      await repository.update({ ...where, id: In(ids) }, { revokedAt: this.clock.now() });
      await this.ended(tx, userId, ids);
    }
    return ids;
  }

  /** The steps of other modules, now, and the announcements once the transaction commits. */
  private async ended(tx: Transaction, userId: number, ids: number[]): Promise<void> {
    for (const step of this.endingSteps) await step(tx.manager, ids);
    tx.afterCommit(() => this.announce(ids));
    this.events.publish(tx, 'sessions.ended', { userId, sessionIds: ids });
  }

  /** Tells every instance (this one first, synchronously) that these sessions are revoked. */
  private async announce(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    this.remember(ids);
    await this.publishRevocation(ids);
  }

  /**
   * The revocation is already in force: the database holds it, and an instance that cannot hear
   * the bus reads sessions from the database. So a failed publish does not fail the request; it
   * is tried again until the other instances have it.
   */
  private async publishRevocation(ids: number[]): Promise<void> {
    try {
      await this.bus.publish('sessions.revoked', { ids });
    } catch (error) {
      this.logger.warn(`could not announce ended sessions, trying again: ${(error as Error).message}`);
      setTimeout(() => void this.publishRevocation(ids), 1000).unref();
    }
  }

  /** Whether revocations kept in memory can be trusted now (the bus is connected and caught up). */
  get revocationsInSync(): boolean {
    return this.bus.inSync;
  }

  private deriveAuthToken(nonce: string): string {
    return createHmac('sha256', this.authTokenKey).update(nonce).digest('base64url');
  }

  private remember(ids: number[]): void {
    const forgetAt = this.clock.nowMs() + this.config.accessTokenTtl * 1000 + 60_000;
    for (const id of ids) this.revoked.set(id, forgetAt);
    for (const handler of this.endedHandlers) {
      try {
        handler(ids);
      } catch (error) {
        this.logger.error({ err: error }, 'a listener of ended sessions failed');
      }
    }
  }

  private async loadRecentRevocations(): Promise<void> {
    const since = new Date(this.clock.nowMs() - this.config.accessTokenTtl * 1000 - 60_000);
    const rows = await this.sessions.find({
      where: { revokedAt: MoreThanOrEqual(since) },
      select: { id: true },
    });
    this.remember(rows.map((row) => row.id));
  }
}
