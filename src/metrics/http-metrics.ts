import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type Metrics } from './metrics.service.js';

type RoutedRequest = IncomingMessage & { route?: { path?: unknown } };

const CATCH_ALL = /^\/?\*\w*$/;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Path of the scrape endpoint, outside the API prefix (as /health). */
export const METRICS_PATH = '/metrics';

/**
 * Counts each request when it ends, by its route pattern (`/api/v1/users/:id`, never the path: one
 * series per route, not per user) and status, and times it. A request no route matched counts as
 * `unmatched`. Event streams are counted, not timed: their time is how long a client listened.
 */
export function httpMetrics(metrics: Metrics) {
  const ended = (request: RoutedRequest, response: ServerResponse, started: number): void => {
    const method = METHODS.has(request.method as string) ? (request.method as string) : 'OTHER';
    const path = request.route?.path;
    // Nest answers unknown API paths from a catch-all route (`*path`): no route of ours.
    const route = typeof path === 'string' && !CATCH_ALL.test(path) ? path : 'unmatched';
    const status = response.statusCode;
    if (status === 429) metrics.rateLimitRefusals.labels(route).inc();
    const stream = String(response.getHeader('content-type')).startsWith('text/event-stream');
    metrics.httpRequests.record(method, route, status, stream ? null : (performance.now() - started) / 1000);
  };
  return (request: RoutedRequest, response: ServerResponse, next: () => void): void => {
    const started = performance.now();
    response.once('close', () => ended(request, response, started));
    next();
  };
}

/**
 * GET /metrics: the Prometheus text format. With a token, only for `Authorization: Bearer
 * <token>` (compared in constant time); answered here, before the API's access-token guard,
 * which would take the token for a bad access token.
 */
export function metricsEndpoint(metrics: Metrics, token: string | null) {
  const expected = token === null ? null : digest(token);
  return (request: IncomingMessage, response: ServerResponse, next?: () => void): void => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      if (next) next();
      else answer(response, 404, { error: { code: 'not_found', text: 'no such route' } });
      return;
    }
    (request as RoutedRequest).route = { path: METRICS_PATH };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 404, { error: { code: 'not_found', text: 'no such route' } });
      return;
    }
    if (expected !== null) {
      const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        response.setHeader('WWW-Authenticate', 'Bearer');
        answer(response, 401, { error: { code: 'unauthorized', text: 'the metrics token is required' } });
        return;
      }
    }
    metrics.scrape().then(
      (text) => {
        response.statusCode = 200;
        response.setHeader('Content-Type', metrics.contentType);
        response.setHeader('Cache-Control', 'no-store');
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => answer(response, 500, { error: { code: 'internal_error', text: 'internal error' } }),
    );
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}
