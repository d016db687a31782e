import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SERVICE_SCOPE } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { ServiceKeysService } from './service-keys.service.js';
import { SERVICE_KEY_PREFIX, type ServicePrincipal, type ServiceScopeName } from './service-scopes.js';

interface ServiceRequest {
  headers: Record<string, string | string[] | undefined>;
  serviceKey?: ServicePrincipal;
}

/**
 * A global guard for the routes marked `@ServiceScope(...)` (the access-token guard leaves them
 * alone; every other route passes through here untouched): the caller must send a live service
 * key that holds the route's scope.
 */
@Injectable()
export class ServiceKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ServiceKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<ServiceScopeName | undefined>(SERVICE_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope === undefined) return true;
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match || !match[1].startsWith(SERVICE_KEY_PREFIX)) {
      throw new AppError('unauthorized', 'this route needs a service key (Authorization: Bearer usk_…)');
    }
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw new AppError('unauthorized', 'unknown or revoked service key');
    if (!principal.scopes.includes(scope)) {
      throw new AppError('forbidden', `this key lacks the scope ${scope}`);
    }
    request.serviceKey = principal;
    return true;
  }
}
