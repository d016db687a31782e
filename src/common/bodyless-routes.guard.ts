import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { AppError } from './errors.js';

/**
 * Unknown fields are `invalid_params`, never silently dropped (DESIGN §3): the validation pipe
 * sees only routes that take a body, so a route that takes none refuses any field here.
 */
@Injectable()
export class BodylessRoutesGuard implements CanActivate {
  private readonly takesBody = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) {
      return true;
    }
    if (this.routeTakesBody(context)) return true;
    const fields = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
    throw new AppError(
      'invalid_params',
      fields.length > 0
        ? fields.map((field) => `unknown field ${field}`).join('; ')
        : 'this route takes no body',
    );
  }

  private routeTakesBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let takes = this.takesBody.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as object;
      takes = Object.keys(args).some((key) => key.startsWith(`${RouteParamtypes.BODY}:`));
      this.takesBody.set(handler, takes);
    }
    return takes;
  }
}
