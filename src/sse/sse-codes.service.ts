import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { parseId } from '../common/positive-int.pipe.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { uniqueViolation } from '../database/errors.js';
import { sameHash } from '../sessions/secret-token.js';
import { SseCode } from './sse-code.entity.js';

/** Published when a user's code is revoked: every instance closes the streams opened with it. */
export const SSE_CODE_REVOKED = 'sse_code.revoked';

/** The message of SSE_CODE_REVOKED. Without a nonce (an older instance), every stream of the user. */
export interface SseCodeRevoked {
  userId: number;
  nonce?: string;
}

export interface SseCodeOwner {
  userId: number;
  /** Identifies this issue of the code: streams opened with an older one are closed. */
  nonce: string;
}

/** Per-user SSE codes: the only credential of an EventSource (it cannot send headers). */
@Injectable()
export class SseCodesService {
  private readonly key: Buffer;

  constructor(
    @InjectRepository(SseCode) private readonly codes: Repository<SseCode>,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
  ) {
    this.key = createHmac('sha256', config.jwtSecret).update('unichat sse code key').digest();
  }

  /** The user's code: the existing one, or a new one. */
  async codeFor(userId: number): Promise<string> {
    // A concurrent request may create the code first (the insert fails), and another revoke it
    // right after (then it is gone again): a few tries settle both races.
    for (let attempt = 1; ; attempt += 1) {
      const existing = await this.codes.findOneBy({ userId });
      if (existing) return this.code(existing);
      const row = { userId, nonce: randomBytes(24).toString('base64url'), createdAt: this.clock.now() };
      try {
        await this.codes.insert(row);
        return this.code(row);
      } catch (error) {
        if (!uniqueViolation(error) || attempt === 3) throw error;
      }
    }
  }

  /** Whose code this is, or null when it is unknown or revoked. */
  async verify(code: string): Promise<SseCodeOwner | null> {
    const match = /^(\d+)\.[\w-]{43}$/.exec(code);
    const userId = match ? parseId(match[1]) : null;
    if (userId === null) return null;
    const row = await this.codes.findOneBy({ userId });
    if (!row || !sameHash(this.code(row), code)) return null;
    return { userId: row.userId, nonce: row.nonce };
  }

  /**
   * Revokes the user's code and closes its open streams on every instance. Only the streams of
   * that issue of the code: one opened with a code created just after may be on an instance the
   * message reaches late, and stays open.
   */
  async revoke(userId: number): Promise<void> {
    const row = await this.codes.findOneBy({ userId });
    if (!row) return;
    await this.codes.delete({ userId, nonce: row.nonce });
    await this.bus.publish(SSE_CODE_REVOKED, { userId, nonce: row.nonce } satisfies SseCodeRevoked);
  }

  private code(row: Pick<SseCode, 'userId' | 'nonce'>): string {
    return `${row.userId}.${createHmac('sha256', this.key).update(row.nonce).digest('base64url')}`;
  }
}
