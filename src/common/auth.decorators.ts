import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { AppError } from './errors.js';

/** Who is calling: set by the access-token guard from a valid, unrevoked JWT. */
export interface AuthUser {
  userId: number;
  sessionId: number;
}

export const IS_PUBLIC = 'unichat:public';
export const ALLOW_UNCONFIRMED = 'unichat:allow-unconfirmed';
/**
 * The scope a service route needs (set by `@ServiceScope` in service-keys/): such a route is
 * called with a service key, never with a user's access token, and the access-token guard leaves it
 * to the service-key guard.
 */
export const SERVICE_SCOPE = 'unichat:service-scope';
/**
 * Tells the OpenAPI document who may call an operation (`public`, `user`, `service`; none: a
 * confirmed user), so its security marks and 401/403 answers follow these decorators.
 */
export const ACCESS_EXTENSION = 'x-unichat-access';
/** The scope a `service` operation needs, for the document to say. */
export const SCOPE_EXTENSION = 'x-unichat-scope';

/** No access token needed; when a valid one is sent the caller is still known (`@OptionalUser`). */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(ACCESS_EXTENSION, 'public'));

/** The route works before the email is confirmed (own record, sessions, logout, resend). */
export const AllowUnconfirmed = () =>
  applyDecorators(SetMetadata(ALLOW_UNCONFIRMED, true), ApiExtension(ACCESS_EXTENSION, 'user'));

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user) throw new AppError('unauthorized');
  return user;
});

interface CallerRequest {
  user?: AuthUser;
  authFailure?: AppError;
}

/** The caller on a public route, or null when no token was sent; a bad token is `401 unauthorized`. */
export const OptionalUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser | null => {
    const request = context.switchToHttp().getRequest<CallerRequest>();
    if (request.authFailure) throw request.authFailure;
    return request.user ?? null;
  },
);

/**
 * The caller on a public route that serves several operations (RPC): the caller, or why the token
 * sent was refused, for the operation to decide whether it reads the caller.
 */
export const CallerOrFailure = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser | AppError | null => {
    const request = context.switchToHttp().getRequest<CallerRequest>();
    return request.authFailure ?? request.user ?? null;
  },
);
