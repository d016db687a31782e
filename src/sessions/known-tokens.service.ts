import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type AuthenticatedUser, bearerToken, JwtStrategy } from './jwt.strategy.js';

/** Access tokens in use on one instance at a time; ~300 bytes each. */
const REMEMBERED_TOKENS = 20_000;

/**
 * Access tokens passport-jwt accepted, until they expire: a token is an immutable signed string,
 * so its next requests skip passport and the signature (~25% of a `GET /me`). Whether its session
 * has ended is still asked at every request. Shared by the global guard and the front door.
 */
@Injectable()
export class KnownTokens {
  private readonly accessTokenTtlMs: number;
  private readonly verified = new LRUCache<string, { user: AuthenticatedUser; untilMs: number }>({
    max: REMEMBERED_TOKENS,
  });

  constructor(
    private readonly strategy: JwtStrategy,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.accessTokenTtlMs = config.accessTokenTtl * 1000;
  }

  /** The user of a token verified before and not expired, or undefined (verify it, then `remember`). */
  recall(token: string | null): AuthenticatedUser | undefined {
    const known = token === null ? undefined : this.verified.get(token);
    return known && known.untilMs > this.clock.nowMs() ? known.user : undefined;
  }

  /**
   * Remembered for at most one token lifetime of this configuration: the revocations kept in
   * memory cover that long, so a token issued under a longer lifetime is looked up again.
   */
  remember(token: string, user: AuthenticatedUser): void {
    const untilMs = Math.min(user.expiresAtMs, this.clock.nowMs() + this.accessTokenTtlMs);
    this.verified.set(token, { user, untilMs });
  }

  /**
   * The caller of a request whose token was verified before, when that alone settles it: the
   * token is remembered, the revocations in memory are complete, and its session has not ended.
   * Null whenever anything more is needed (a first use, the bus away, a refusal and its error):
   * the framework's guard then decides.
   */
  admitKnown(request: { headers: Record<string, string | string[] | undefined> }): AuthenticatedUser | null {
    const user = this.recall(bearerToken(request as never));
    if (!user || !this.strategy.revocationsInSync) return null;
    try {
      return this.strategy.admit(user);
    } catch {
      return null;
    }
  }
}
