import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, MoreThanOrEqual, Not, Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { hashToken, newSecretToken } from './secret-token.js';
import { Session } from './session.entity.js';

export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Claims of our access tokens: the user, the session, and whether the email was confirmed then. */
export interface AccessClaims {
  sub: number;
  sid: number;
  ec: boolean;
}

export interface SessionRecord {
  id: number;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

const REVOKED_CHANNEL = 'sessions.revoked';
/** last_used_at is written at most this often per session, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Sessions and access tokens. A revoked session's access tokens are refused at once without a
 * database read per request: every instance keeps the ids of sessions revoked within the last
 * access-token lifetime in memory, loaded at start and kept current over ClusterBus.
 */
@Injectable()
export class SessionsService implements OnModuleInit {
  private readonly logger = new Logger('Sessions');
  /** Revoked session id -> when its last access token has expired and the id can be forgotten. */
  private readonly revoked = new Map<number, number>();
  private readonly touchedAt = new Map<number, number>();

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe<{ ids: number[] }>(REVOKED_CHANNEL, ({ ids }) => this.remember(ids));
    this.bus.onReconnect(() => void this.loadRecentRevocations());
    await this.loadRecentRevocations();
  }

  async create(
    manager: EntityManager,
    input: { userId: number; userAgent: string | null; ip: string | null },
  ): Promise<{ session: Session; authToken: string }> {
    const authToken = newSecretToken();
    const now = this.clock.now();
    const session = manager.create(Session, {
      userId: input.userId,
      authTokenHash: hashToken(authToken),
      userAgent: input.userAgent?.slice(0, 300) ?? null,
      ip: input.ip?.slice(0, 64) ?? null,
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
    });
    await manager.save(Session, session);
    return { session, authToken };
  }

  /** The live session an auth token belongs to, or null. */
  async findByAuthToken(authToken: string): Promise<Session | null> {
    return this.sessions.findOneBy({ authTokenHash: hashToken(authToken), revokedAt: IsNull() });
  }

  issueAccessToken(session: Pick<Session, 'id' | 'userId'>, emailConfirmed: boolean): AccessToken {
    const claims: AccessClaims = { sub: session.userId, sid: session.id, ec: emailConfirmed };
    return {
      access_token: this.jwt.sign(claims, { expiresIn: this.config.accessTokenTtl }),
      token_type: 'Bearer',
      expires_in: this.config.accessTokenTtl,
    };
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
    const result = await this.sessions.update(
      { id: sessionId, userId, revokedAt: IsNull() },
      { revokedAt: this.clock.now() },
    );
    if (!result.affected) throw new AppError('not_found', `no session ${sessionId}`);
    await this.announce([sessionId]);
  }

  /**
   * Ends every session of the user except `keep` (null: all of them). With a manager, the
   * revocation is part of the caller's transaction; call `announce` with the result after commit.
   */
  async endAll(userId: number, keep: number | null, manager?: EntityManager): Promise<number[]> {
    const repository = manager ? manager.getRepository(Session) : this.sessions;
    const where = { userId, revokedAt: IsNull(), ...(keep === null ? {} : { id: Not(keep) }) };
    const ids = (await repository.find({ where, select: { id: true } })).map((row) => row.id);
    if (ids.length > 0) await repository.update(where, { revokedAt: this.clock.now() });
    if (!manager) await this.announce(ids);
    return ids;
  }

  /** Tells every instance (this one first, synchronously) that these sessions are revoked. */
  async announce(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    this.remember(ids);
    await this.bus.publish(REVOKED_CHANNEL, { ids });
  }

  private remember(ids: number[]): void {
    const forgetAt = this.clock.nowMs() + this.config.accessTokenTtl * 1000 + 60_000;
    for (const id of ids) this.revoked.set(id, forgetAt);
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
