import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { parseId } from '../common/ids.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { uniqueViolation } from '../database/errors.js';
import { sameHash } from '../sessions/secret-token.js';
import { Session } from '../sessions/session.entity.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { SseCode } from './sse-code.entity.js';

/** Published when a session's code is revoked: every instance closes the streams opened with it. */
export interface SseCodeOwner {
  userId: number;
  sessionId: number;
  /** Identifies this issue of the code: streams opened with an older one are closed. */
  nonce: string;
}

/**
 * SSE codes, one per session: the only credential of an EventSource (it cannot send headers). A
 * code is `<session id>.<HMAC of the stored nonce>`; it works while its session is live.
 */
@Injectable()
export class SseCodesService implements OnModuleInit {
  private readonly key: Buffer;

  constructor(
    @InjectRepository(SseCode) private readonly codes: Repository<SseCode>,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
    private readonly sessions: SessionsService,
  ) {
    this.key = createHmac('sha256', config.jwtSecret).update('unichat sse code key').digest();
  }

  onModuleInit(): void {
    // A session's code ends with it, in the transaction that ends it.
    this.sessions.onEnding((manager, ids) => this.forgetSessions(manager, ids));
  }

  /** The session's code: the existing one, or a new one. */
  async codeFor(userId: number, sessionId: number): Promise<string> {
    // A concurrent request may create the code first (the insert fails), and another revoke it
    // right after (then it is gone again): a few tries settle both races.
    for (let attempt = 1; ; attempt += 1) {
      const existing = await this.codes.findOneBy({ sessionId });
      if (existing) return this.code(existing);
      const row = {
        sessionId,
        userId,
        nonce: randomBytes(24).toString('base64url'),
        createdAt: this.clock.now(),
      };
      try {
        await this.codes.insert(row);
        return this.code(row);
      } catch (error) {
        if (!uniqueViolation(error) || attempt === 3) throw error;
      }
    }
  }

  /** Whose code this is, or null when it is unknown, revoked, or its session has ended. */
  async verify(code: string): Promise<SseCodeOwner | null> {
    const match = /^(\d+)\.[\w-]{43}$/.exec(code);
    const sessionId = match ? parseId(match[1]) : null;
    if (sessionId === null) return null;
    const row = await this.codes
      .createQueryBuilder('code')
      .innerJoin(Session, 'session', 'session.id = code.session_id AND session.revoked_at IS NULL')
      .where('code.session_id = :sessionId', { sessionId })
      .getOne();
    if (!row || !sameHash(this.code(row), code)) return null;
    return { userId: row.userId, sessionId: row.sessionId, nonce: row.nonce };
  }

  /**
   * Revokes the session's code and closes its open streams on every instance. Only the streams of
   * that issue of the code: one opened with a code created just after may be on an instance the
   * message reaches late, and stays open.
   */
  async revoke(sessionId: number): Promise<void> {
    const row = await this.codes.findOneBy({ sessionId });
    if (!row) return;
    await this.codes.delete({ sessionId, nonce: row.nonce });
    await this.bus.publish('sse_code.revoked', { userId: row.userId, nonce: row.nonce });
  }

  /**
   * Deletes the codes of sessions that end, in the transaction that ends them (their streams are
   * closed by the sessions' revocation, which every instance hears).
   */
  private async forgetSessions(manager: EntityManager, sessionIds: number[]): Promise<void> {
    if (sessionIds.length > 0) await manager.delete(SseCode, { sessionId: In(sessionIds) });
  }

  private code(row: Pick<SseCode, 'sessionId' | 'nonce'>): string {
    return `${row.sessionId}.${createHmac('sha256', this.key).update(row.nonce).digest('base64url')}`;
  }
}
