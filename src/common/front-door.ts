import {
  type IncomingMessage,
  type OutgoingHttpHeader,
  type RequestListener,
  ServerResponse,
} from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Logger } from '@nestjs/common';
import { hasBody } from './request-body.guard.js';

/** A middleware that works on Node's own request and response (the service's global layers). */
export type Layer = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/** Writes the answer; runs after the global layers. */
export type Send = (response: ServerResponse) => void | Promise<void>;

/** The query of a front-door request: each parameter once, as a string. */
export type FrontQuery = Record<string, string>;

export interface FrontRoute {
  /** The route as Express names it: the metrics' label. */
  pattern: string;
  /** The path's parameters when the path is this route's, else null. */
  match(path: string): string[] | null;
  /** The query parameters the route reads: a request with any other is left to the framework. */
  query: readonly string[];
  /**
   * Everything that decides the answer, with no effect on the request or response: a Send, or null
   * to leave the request to the framework (which answers the errors).
   */
  answer(request: IncomingMessage, params: string[], query: FrontQuery): Promise<Send | null>;
}

/**
 * The front door: the hottest requests answered before Express and Nest, everything else handed
 * to them untouched. Express gives each request and response a hidden class of its own (it swaps
 * their prototypes) and, with Nest's router, costs more than the work of a cached read; an open
 * event stream keeps what Express added for as long as it is open.
 *
 * A route here takes only the plain shape of its request (GET, no body, the query it reads, each
 * parameter once, not pipelined behind another request) and answers only its success: when
 * anything else holds (a refused token, an unknown user, a full stream quota, a database error),
 * the route answers null and the framework handles the request from the start, so its errors,
 * validation and documentation stay the one source. The same global layers run on both ways
 * (request id and line, metrics, helmet, CORS).
 */
export function frontDoor(
  framework: RequestListener,
  layers: Layer[],
  routes: FrontRoute[],
): RequestListener {
  const logger = new Logger('FrontDoor');
  return (request, response) => {
    // A request pipelined behind another on its connection is the framework's: it waits for its
    // turn there (an event stream must not start, nor take its place, before the client sees it).
    const plain = request.method === 'GET' && !hasBody(request) && response.socket !== null;
    const found = plain ? find(routes, request.url ?? '') : null;
    if (!found) return framework(request, response);
    const { route, params, query } = found;
    route.answer(request, params, query).then(
      (send) => {
        if (!send) return framework(request, response);
        (request as IncomingMessage & { route?: { path: string } }).route = { path: route.pattern };
        const failed = (error: unknown): void => {
          // The answer had begun (a stream's headers are out): end it; the client retries.
          logger.error({ err: error }, `internal_error on GET ${route.pattern}`);
          if (response.headersSent) response.end();
          else response.destroy();
        };
        runLayers(layers, request, response, () => {
          try {
            const sent = send(response);
            if (sent) sent.catch(failed);
          } catch (error) {
            failed(error);
          }
        });
      },
      () => framework(request, response),
    );
  };
}

function find(routes: FrontRoute[], url: string) {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  for (const route of routes) {
    const params = route.match(path);
    if (!params) continue;
    const query = mark < 0 ? {} : readQuery(url.slice(mark + 1), route.query);
    return query ? { route, params, query } : null;
  }
  return null;
}

/** The query parsed as Express parses it (Node's querystring), or null if it is not plain. */
function readQuery(text: string, allowed: readonly string[]): FrontQuery | null {
  const query: FrontQuery = {};
  for (const [name, value] of Object.entries(parseQuery(text))) {
    if (!allowed.includes(name) || typeof value !== 'string') return null;
    query[name] = value;
  }
  return query;
}

function runLayers(
  layers: Layer[],
  request: IncomingMessage,
  response: ServerResponse,
  done: () => void,
): void {
  let index = 0;
  const next = (): void => {
    const layer = layers[index++];
    if (layer) layer(request, response, next);
    else done();
  };
  next();
}

/** Distinct `Origin` values whose headers `sameHeaders` keeps (a browser app sends one or a few). */
const KEPT_ORIGINS = 64;

type Headers = [name: string, value: OutgoingHttpHeader][];

/**
 * The header layers (helmet, CORS) for the front door's requests, run once per `Origin` and their
 * headers set again as they set them, by name, value and order. On a GET without a body what
 * those layers set depends on nothing else of the request; running them (a dozen chained
 * middlewares, CORS's option checks) costs more than setting what they set. Past the kept
 * origins, or for a layer that does not go on at once, the layers run as they are.
 */
export function sameHeaders(layers: Layer[]): Layer {
  const kept = new Map<string | undefined, Headers>();
  return (request, response, next) => {
    const origin = request.headers.origin;
    let headers = kept.get(origin);
    if (!headers) {
      const taken = kept.size < KEPT_ORIGINS ? headersOf(layers, request) : null;
      if (!taken) return runLayers(layers, request, response, next);
      kept.set(origin, taken);
      headers = taken;
    }
    for (const [name, value] of headers) response.setHeader(name, value);
    next();
  };
}

/** What the layers set on an answer to `request` with no header yet, or null if one did not go on at once. */
function headersOf(layers: Layer[], request: IncomingMessage): Headers | null {
  // Node's OutgoingMessage has getRawHeaderNames (the names as set); its typings give it to ClientRequest only.
  const scratch = new ServerResponse(request) as ServerResponse & { getRawHeaderNames(): string[] };
  let through = false;
  runLayers(layers, request, scratch, () => (through = true));
  if (!through) return null;
  return scratch.getRawHeaderNames().map((name) => [name, scratch.getHeader(name) as OutgoingHttpHeader]);
}
