import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ACCESS_EXTENSION, SCOPE_EXTENSION, SERVICE_SCOPE } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import type { ServicePrincipal, ServiceScopeName } from './service-scopes.js';

/**
 * A service route: called with a service key holding `scope` (`Authorization: Bearer usk_…`).
 * A user's access token is `401 unauthorized` here, a key without the scope `403 forbidden`.
 * On a controller or a handler.
 */
export const ServiceScope = (scope: ServiceScopeName) =>
  applyDecorators(
    SetMetadata(SERVICE_SCOPE, scope),
    ApiExtension(ACCESS_EXTENSION, 'service'),
    ApiExtension(SCOPE_EXTENSION, scope),
  );

/** The service key calling a service route (its id and name, for audit lines). */
export const CurrentServiceKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ServicePrincipal => {
    const principal = context.switchToHttp().getRequest<{ serviceKey?: ServicePrincipal }>().serviceKey;
    if (!principal) throw new AppError('unauthorized', 'this route needs a service key');
    return principal;
  },
);
