import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ALLOW_UNCONFIRMED, IS_PUBLIC, SERVICE_SCOPE } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { ConfirmationGate } from './confirmation-gate.service.js';
import { AccessTokenKeys } from './access-token-keys.service.js';
import { type AuthenticatedUser, bearerToken, JwtStrategy, TOKEN_KEYS } from './jwt.strategy.js';
import { KnownTokens } from './known-tokens.service.js';

interface TokenRequest {
  headers: Record<string, string | undefined>;
  user?: AuthenticatedUser;
  [TOKEN_KEYS]?: AccessTokenKeys;
  /** A token was sent and refused on a public route: whoever reads the caller answers with this. */
  authFailure?: AppError;
}

/**
 * The global guard: every route needs a valid access token unless marked `@Public()`, and a
 * confirmed email unless marked `@AllowUnconfirmed()`. Service routes (`@ServiceScope`) take a
 * service key instead, checked by service-keys/'s own global guard.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly confirmation: ConfirmationGate,
    private readonly strategy: JwtStrategy,
    private readonly known: KnownTokens,
    private readonly keys: AccessTokenKeys,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<TokenRequest>();
    if (this.reflector.getAllAndOverride<string | undefined>(SERVICE_SCOPE, targets) !== undefined)
      return true;
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
    const known = this.known.recall(token);
    if (known) {
      // While the bus is away, revocations may be missing from memory: ask the database.
      request.user = this.strategy.revocationsInSync
        ? this.strategy.admit(known)
        : await this.strategy.admitFirstUse(known);
      return known;
    }
    request[TOKEN_KEYS] = this.keys;
    await super.canActivate(context);
    const user = request.user as AuthenticatedUser;
    // The caller is known only once its session is known to be live, in the database.
    request.user = undefined;
    await this.strategy.admitFirstUse(user);
    if (token !== null) this.known.remember(token, user);
    request.user = user;
    return user;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error instanceof AppError) throw error;
    if (error || !user) throw new AppError('unauthorized');
    return user;
  }
}
