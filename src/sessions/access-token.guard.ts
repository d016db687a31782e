import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { LRUCache } from 'lru-cache';
import { ALLOW_UNCONFIRMED, IS_PUBLIC } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ConfirmationGate } from './confirmation-gate.service.js';
import { type AuthenticatedUser, bearerToken, JwtStrategy } from './jwt.strategy.js';

/** Access tokens in use on one instance at a time; ~300 bytes each. */
const REMEMBERED_TOKENS = 20_000;

interface TokenRequest {
  headers: Record<string, string | undefined>;
  user?: AuthenticatedUser;
  /** A token was sent and refused on a public route: whoever reads the caller answers with this. */
  authFailure?: AppError;
}

/**
 * The global guard: every route needs a valid access token unless marked `@Public()`, and a
 * confirmed email unless marked `@AllowUnconfirmed()`.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard('jwt') {
  /**
   * Tokens passport-jwt accepted, until they expire: a token is an immutable signed string, so
   * its next requests skip passport and the signature (~25% of a `GET /me`). Whether its session
   * has ended is still asked at every request.
   */
  private readonly accessTokenTtlMs: number;
  private readonly verified = new LRUCache<string, { user: AuthenticatedUser; untilMs: number }>({
    max: REMEMBERED_TOKENS,
  });

  constructor(
    private readonly reflector: Reflector,
    private readonly confirmation: ConfirmationGate,
    private readonly strategy: JwtStrategy,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    this.accessTokenTtlMs = config.accessTokenTtl * 1000;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<TokenRequest>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // A public route still knows its caller when a valid token comes along. A bad one is never
      // read as "anonymous": a route that reads its caller answers 401 (`@OptionalUser`); one that
      // does not (login, register, avatar images) lets a client with a stale token through.
      if (request.headers.authorization !== undefined) {
        await this.authenticate(context, request).catch((error: unknown) => {
          request.user = undefined;
          request.authFailure = error instanceof AppError ? error : new AppError('unauthorized');
        });
      }
      return true;
    }
    const user = await this.authenticate(context, request);
    if (!this.reflector.getAllAndOverride<boolean>(ALLOW_UNCONFIRMED, targets)) {
      await this.confirmation.assertConfirmed(user);
    }
    return true;
  }

  private async authenticate(context: ExecutionContext, request: TokenRequest): Promise<AuthenticatedUser> {
    const token = bearerToken(request);
    const now = this.clock.nowMs();
    const known = token === null ? undefined : this.verified.get(token);
    if (known && known.untilMs > now) {
      // While the bus is away, revocations may be missing from memory: ask the database.
      request.user = this.strategy.revocationsInSync
        ? this.strategy.admit(known.user)
        : await this.strategy.admitFirstUse(known.user);
      return known.user;
    }
    await super.canActivate(context);
    const user = request.user as AuthenticatedUser;
    // The caller is known only once its session is known to be live, in the database.
    request.user = undefined;
    await this.strategy.admitFirstUse(user);
    // Remembered for at most one token lifetime of this configuration: the revocations kept in
    // memory cover that long, so a token issued under a longer lifetime is looked up again.
    if (token !== null) {
      this.verified.set(token, { user, untilMs: Math.min(user.expiresAtMs, now + this.accessTokenTtlMs) });
    }
    request.user = user;
    return user;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error instanceof AppError) throw error;
    if (error || !user) throw new AppError('unauthorized');
    return user;
  }
}
