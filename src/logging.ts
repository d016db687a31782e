import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { type AppConfig } from './config/app-config.js';

// Query parameters that carry secrets (SSE code, QR key, mail tokens): never logged (DESIGN §3).
const SECRET_QUERY = /([?&](?:code|key|token|password_reset_token|auth_token)=)[^&#]*/gi;

// Device tokens travel in the path of DELETE /devices/:token: only a prefix is logged.
const DEVICE_TOKEN_PATH = /(\/devices\/[0-9a-fA-F]{8})[0-9a-fA-F]+/g;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[REDACTED]').replace(DEVICE_TOKEN_PATH, '$1…');
}

/** JSON logs with a request id; secrets redacted from every line. */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        response.setHeader('X-Request-Id', id);
        return id;
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["last-event-id"]',
          'res.headers["set-cookie"]',
        ],
        censor: '[REDACTED]',
      },
      serializers: {
        req: (request: { id: string; method: string; url: string; headers: Record<string, string> }) => ({
          id: request.id,
          method: request.method,
          url: redactUrl(request.url),
          headers: { 'user-agent': request.headers?.['user-agent'] },
        }),
      },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'info' : 'info',
      autoLogging: { ignore: (request) => request.url === '/health' || request.url === '/health/ready' },
    },
  };
}
