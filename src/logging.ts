import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { unescape } from 'node:querystring';
import type { LoggerService } from '@nestjs/common';
import { type Logger, pino } from 'pino';
import { type AppConfig } from './config/app-config.js';

/**
 * Query parameters that carry secrets: the SSE code, the QR key, mail tokens, and access or auth
 * tokens put in a URL by a client that cannot send headers. Never logged.
 */
const SECRET_PARAMETER = /^(?:code|key|\w*token)$/i;

// Device tokens (APNs, FCM) and browsers' push endpoints travel in the path of DELETE
// /devices/:token: only a prefix is logged.
const DEVICE_TOKEN_PATH = /(\/devices\/)([^/?#]+)/g;

/**
 * The URL as it may be logged: the value of every secret parameter replaced, its name recognised
 * however it is percent-encoded (`%63ode`, `%74oken`): the name is decoded as the query parser
 * decodes it (Node's querystring, lenient about broken escapes), so whatever the service reads
 * as `code` is redacted.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const start = url.indexOf('?');
  const path = (start < 0 ? url : url.slice(0, start)).replace(
    DEVICE_TOKEN_PATH,
    (whole, prefix: string, token: string) => {
      const decoded = decodeQueryText(token);
      return decoded.length > 8 && decoded !== 'test-push' ? `${prefix}${decoded.slice(0, 8)}…` : whole;
    },
  );
  if (start < 0) return path;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      const name = equals < 0 ? parameter : parameter.slice(0, equals);
      return SECRET_PARAMETER.test(decodeQueryText(name).trim()) ? `${name}=[REDACTED]` : parameter;
    });
  return `${path}?${query.join('&')}`;
}

function decodeQueryText(text: string): string {
  return unescape(text.replace(/\+/g, ' '));
}

/** Requests not worth a line each: load balancers and Prometheus poll these every few seconds. */
const QUIET_PATHS = new Set(['/health', '/health/ready', '/metrics']);

/** The lines of every root logger made in this process, for flushLogs and the exit. */
const batches = new Set<TurnBatch>();

type Destination = ReturnType<typeof pino.destination>;

/**
 * The one pino logger of an application: JSON lines on stdout, secrets kept out of every line.
 * The lines logged in one turn of the event loop are written together at its end, asynchronously
 * (TurnBatch): under load a turn answers several requests, and a write a line, even asynchronous,
 * cost each request a hop to libuv's threads and a system call. Nothing is lost at the end:
 * shutdown waits for flushLogs (Nest re-raises SIGTERM afterwards, which ends the process without
 * an `exit` event), and what is left is written synchronously on `exit`, which `process.exit` and
 * an uncaught exception raise too.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel'>,
  destination: NodeJS.WritableStream | { write(line: string): unknown } = stdoutLines(),
): Logger {
  return pino(
    {
      level: config.logLevel,
      // No `redact` paths: the serialisers below are the only way a request or response reaches a
      // line, and they take the user agent alone of the headers (never Authorization, Cookie or
      // Last-Event-ID) and the URL with its secret parameters replaced. pino's redaction walked
      // every line for headers that are never there (~5 % of a hot read).
      serializers: {
        req: (request: LoggedRequest) => ({
          id: request.id,
          method: request.method,
          url: loggedUrl(request),
          headers: { 'user-agent': request.headers?.['user-agent'] },
        }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination as NodeJS.WritableStream,
  );
}

function stdoutLines(): TurnBatch {
  const batch = new TurnBatch(pino.destination({ dest: 1, sync: false }));
  batches.add(batch);
  return batch;
}

/**
 * Lines gathered during one turn of the event loop and handed to the destination as one string
 * when the turn ends (setImmediate): no line waits longer than the work already queued in that
 * turn. sonic-boom's own `minLength` batching measures its whole pending text again for each line.
 */
class TurnBatch {
  private lines: string[] = [];

  constructor(readonly destination: Destination) {}

  write(line: string): boolean {
    if (this.lines.push(line) === 1) setImmediate(this.flush);
    return true;
  }

  /** Hands the lines gathered so far to the destination; whether there were any. */
  readonly flush = (): boolean => {
    if (this.lines.length === 0) return false;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.destination.write(text);
    return true;
  };
}

// pino writes what its destination holds synchronously on `exit`; lines still in a batch go first.
process.once('exit', () => {
  for (const batch of batches) {
    if (!batch.flush()) continue;
    try {
      batch.destination.flushSync();
    } catch {
      // A destination already closed or broken: nowhere left to write.
    }
  }
});

type LoggedRequest = IncomingMessage & { id?: string; originalUrl?: string };

/** The URL a line shows: Express rewrites `url` inside mounted routers; `originalUrl` is what the client asked. */
function loggedUrl(request: LoggedRequest): string | undefined {
  return redactUrl(request.originalUrl ?? request.url);
}

/** How long shutdown waits for the log lines still being written. */
const FLUSH_TIMEOUT_MS = 5000;

/**
 * Writes every line logged so far and waits until it is written (called last at shutdown).
 * pino's own `flush(cb)` answers at once for a destination without a minimum length, so this
 * waits for the destination's `drain`, which it emits when a write ends with nothing left to write.
 */
export async function flushLogs(): Promise<void> {
  for (const batch of batches) batch.flush();
  await Promise.all([...batches].map((batch) => drained(batch.destination)));
}

function drained(destination: Destination): Promise<void> {
  // sonic-boom's own state: a destination that is not writing has nothing left (it starts a
  // write as soon as a line arrives).
  if (!(destination as unknown as { _writing: boolean })._writing) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, FLUSH_TIMEOUT_MS);
    function done(): void {
      clearTimeout(timer);
      destination.off('drain', done);
      resolve();
    }
    destination.once('drain', done);
  });
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's own lines (`new Logger('Mail').log(…)`, its start-up and exception lines) written by the
 * root pino logger, the context as `context`. Nest passes the context as the last argument, and
 * its exception handlers call `error(message, stack)`.
 */
export class NestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = params.slice(0, -1);
    if (params.length > 0) fields.context = params[params.length - 1];
    if (message instanceof Error) {
      fields.err = message;
      this.root[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
      this.root[level](fields, ...(rest as [string]));
    } else if (level === 'error' && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      const err = new Error(String(message));
      err.stack = rest[0];
      this.root[level]({ ...fields, err }, String(message));
    } else {
      this.root[level](fields, String(message));
    }
  }
}

/**
 * One line per request when it ends, with its id (given in `X-Request-Id` or made here, and sent
 * back) in `req.id`. The request is serialised only if its line is written, and no child logger
 * is made per request: a pino-http middleware serialised every request into one up front, which
 * cost ~90 µs a request even at `warn`.
 */
export function requestLogger(root: Logger) {
  return (request: IncomingMessage & { id?: string }, response: ServerResponse, next: () => void) => {
    const given = request.headers['x-request-id'];
    const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    request.id = id;
    response.setHeader('X-Request-Id', id);
    const started = performance.now();
    const quiet = QUIET_PATHS.has(request.url ?? '');
    response.once('close', () => {
      if (quiet && response.statusCode < 500) return;
      const responseTime = Math.round(performance.now() - started);
      const errored = response.statusCode >= 500;
      const message = errored
        ? 'request errored'
        : response.writableFinished
          ? 'request completed'
          : 'request closed by the client';
      writeRequestLine(root, errored ? 'error' : 'info', request, response, responseTime, message);
    });
    next();
  };
}

/**
 * Writes the line `root[level]({ req: request, res: response, responseTime }, message)` would
 * write, byte for byte (logging.spec.ts compares them), without pino's generic walk over the
 * object: each key looked up among the serialisers, each value stringified on its own. The line
 * of every request at `info` is the largest part of the service's own work on a cached read.
 */
export function writeRequestLine(
  root: Logger,
  level: 'info' | 'error',
  request: LoggedRequest,
  response: ServerResponse,
  responseTime: number,
  message: string,
): void {
  if (!root.isLevelEnabled(level)) return;
  const headers = members([['user-agent', request.headers['user-agent']]]);
  const req = members([
    ['id', request.id],
    ['method', request.method],
    ['url', loggedUrl(request)],
  ]);
  const bindings = (root as unknown as Record<symbol, string>)[pino.symbols.chindingsSym];
  const line =
    `{"level":${root.levels.values[level]},"time":${Date.now()}${bindings}` +
    `,"req":{${req.slice(1)},"headers":{${headers.slice(1)}}}` +
    `,"res":{"statusCode":${response.statusCode}},"responseTime":${responseTime},"msg":${JSON.stringify(message)}}\n`;
  (root as unknown as Record<symbol, NodeJS.WritableStream>)[pino.symbols.streamSym].write(line);
}

/** `,"name":"value"` for each value there, as JSON.stringify writes an object's string members. */
function members(entries: [name: string, value: string | undefined][]): string {
  let text = '';
  for (const [name, value] of entries) if (value !== undefined) text += `,"${name}":${JSON.stringify(value)}`;
  return text;
}
