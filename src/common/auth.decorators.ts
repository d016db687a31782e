import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { AppError } from './errors.js';

/** Who is calling: set by the access-token guard from a valid, unrevoked JWT. */
export interface AuthUser {
  userId: number;
  sessionId: number;
}

export const IS_PUBLIC = 'unichat:public';
export const ALLOW_UNCONFIRMED = 'unichat:allow-unconfirmed';

/** No access token needed; when a valid one is sent the caller is still known (`@OptionalUser`). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The route works before the email is confirmed (own record, sessions, logout, resend). */
export const AllowUnconfirmed = () => SetMetadata(ALLOW_UNCONFIRMED, true);

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user) throw new AppError('unauthorized');
  return user;
});

/** The caller on a public route, or null when no valid access token was sent. */
export const OptionalUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser | null =>
    context.switchToHttp().getRequest<{ user?: AuthUser }>().user ?? null,
);
