import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ALLOW_UNCONFIRMED, IS_PUBLIC } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { ConfirmationGate } from './confirmation-gate.js';
import { type AuthenticatedUser } from './jwt.strategy.js';

/**
 * The global guard: every route needs a valid access token unless marked `@Public()`, and a
 * confirmed email unless marked `@AllowUnconfirmed()` (DESIGN §3).
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly confirmation: ConfirmationGate,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // A public route still knows its caller when a valid token comes along; a bad one is ignored.
      if (request.headers.authorization) await Promise.resolve(super.canActivate(context)).catch(() => false);
      return true;
    }
    await super.canActivate(context);
    const user = context.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user;
    if (!this.reflector.getAllAndOverride<boolean>(ALLOW_UNCONFIRMED, targets)) {
      await this.confirmation.assertConfirmed(user);
    }
    return true;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error instanceof AppError) throw error;
    if (error || !user) throw new AppError('unauthorized');
    return user;
  }
}
