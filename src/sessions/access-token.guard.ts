import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { LRUCache } from 'lru-cache';
import { ALLOW_UNCONFIRMED, IS_PUBLIC } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { ConfirmationGate } from './confirmation-gate.service.js';
import { type AuthenticatedUser, bearerToken, JwtStrategy } from './jwt.strategy.js';

/** Access tokens in use on one instance at a time; ~300 bytes each. */
const REMEMBERED_TOKENS = 20_000;

interface TokenRequest {
  headers: Record<string, string | undefined>;
  user?: AuthenticatedUser;
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
  private readonly verified = new LRUCache<string, AuthenticatedUser>({ max: REMEMBERED_TOKENS });

  constructor(
    private readonly reflector: Reflector,
    private readonly confirmation: ConfirmationGate,
    private readonly strategy: JwtStrategy,
    private readonly clock: Clock,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<TokenRequest>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // A public route still knows its caller when a valid token comes along; a bad one is ignored.
      if (request.headers.authorization) {
        await this.authenticate(context, request).catch(() => (request.user = undefined));
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
    let user = token === null ? undefined : this.verified.get(token);
    if (!user || user.expiresAtMs <= this.clock.nowMs()) {
      await super.canActivate(context);
      user = request.user as AuthenticatedUser;
      // The caller is known only once its session is known to be live.
      request.user = undefined;
      if (token !== null) this.verified.set(token, user);
    }
    request.user = this.strategy.admit(user);
    return user;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error instanceof AppError) throw error;
    if (error || !user) throw new AppError('unauthorized');
    return user;
  }
}
