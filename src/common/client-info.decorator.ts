import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Where a request came from, recorded on the session it opens and counted in the limits. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** The caller's address (the client's, behind a proxy when TRUST_PROXY is set) and user agent. */
export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<Request>();
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
});
