// Bench-only servers, one per process (`node dist/bench/servers.js <kind>`): the baselines and the
// hello route inside our application, each answering GET HELLO_PATH with the same small JSON, and
// the baselines that answer again what the service answered (BENCH_ANSWER_FILE).
// Nothing here is part of the service; src/ has no hello route.
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Controller, type DynamicModule, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { ApiExcludeController } from '@nestjs/swagger';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { AppModule } from '../src/app.module.js';
import { createApp, JSON_BODY_LIMIT } from '../src/app.setup.js';
import { Public } from '../src/common/auth.decorators.js';
import { loadConfig } from '../src/config/app-config.js';
import { keepJwtSecret } from '../src/config/kept-jwt-secret.js';
import { sseMessage, SseStream } from '../src/sse/sse-stream.js';
import { createRootLogger, NestLogger, requestLogger } from '../src/logging.js';
import { type RecordedAnswer, WRITTEN_BY_NODE } from './api.js';
import { HELLO_PATH } from './processes.js';
const HELLO = { hello: 'world', id: 1 };

const SERVER_KINDS = [
  'node-http',
  'express',
  'express-layers',
  'express-body',
  'node-http-answer',
  'nest',
  'nest-als',
  'nest-pino',
  'app',
  'sse',
] as const;
type ServerKind = (typeof SERVER_KINDS)[number];

// Outside the API document: the app refuses to start with a route the document does not describe.
@ApiExcludeController()
@Controller('bench')
class HelloController {
  @Public()
  @Get('hello')
  hello() {
    return HELLO;
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

/** Baseline A: bare node:http. */
function nodeHttp(port: number): void {
  createServer((_request, response) => {
    const body = JSON.stringify(HELLO);
    response.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
    });
    response.end(body);
  }).listen(port, '127.0.0.1');
}

/**
 * Baseline of the stream scenarios: bare node:http holding event streams through the service's own
 * SseStream (the same headers, framing and socket writes), without Express, Nest or any lookup;
 * `POST /fanout` with a marker writes one user_updated event of the size of a public record to
 * every stream, serialised once.
 */
function nodeSse(port: number): void {
  const streams = new Set<SseStream>();
  let id = 0;
  createServer((request, response) => {
    if (request.method === 'GET' && request.url?.startsWith('/api/v1/events')) {
      const stream = new SseStream(response);
      streams.add(stream);
      stream.onClose(() => streams.delete(stream));
      return;
    }
    if (request.method === 'POST' && request.url === '/fanout') {
      let marker = '';
      request.on('data', (chunk: Buffer) => (marker += chunk.toString()));
      request.on('end', () => {
        response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        const user = {
          id: 1,
          nick: null,
          avatar: null,
          status: null,
          status_message: marker,
          is_online: true,
        };
        const data = JSON.stringify({ user: { ...user, last_seen_at: new Date().toISOString() } });
        id += 1;
        const message = sseMessage('user_updated', data, id);
        for (const stream of streams) stream.write(message);
      });
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"streams":' + streams.size + '}');
  }).listen(port, '127.0.0.1');
}

/** Baseline B: bare Express 5 with its defaults; `layers` adds the app-level middleware of src/app.setup.ts. */
function expressApp(port: number, layers: boolean): void {
  const app = express();
  if (layers) {
    app.set('etag', false);
    app.disable('x-powered-by');
    app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }));
    app.use(cors({ origin: '*', exposedHeaders: ['Retry-After', 'ETag', 'X-Request-Id'], maxAge: 600 }));
    app.use(express.json({ limit: JSON_BODY_LIMIT }));
  }
  app.get(HELLO_PATH, (_request, response) => {
    response.json(HELLO);
  });
  app.listen(port, '127.0.0.1');
}

/** The service's answer a baseline gives again (BENCH_ANSWER_FILE, written by the bench). */
const recordedAnswer = () =>
  JSON.parse(readFileSync(process.env.BENCH_ANSWER_FILE as string, 'utf8')) as RecordedAnswer;

/**
 * Baseline B with the body of a service answer (BENCH_ANSWER_FILE, e.g. a 50-user batch): bare
 * Express 5 and its defaults, `res.json` serialising it and computing its ETag on each request,
 * as it would for a route answering the same records from memory.
 */
function expressBody(port: number): void {
  const body = JSON.parse(Buffer.from(recordedAnswer().body, 'base64').toString()) as unknown;
  const app = express();
  app.get(HELLO_PATH, (_request, response) => {
    response.json(body);
  });
  app.listen(port, '127.0.0.1');
}

/**
 * The floor of a route: bare node:http answering every request with what the service answered it
 * (BENCH_ANSWER_FILE), the same status, header lines and body bytes, and a fresh X-Request-Id
 * each time. No lookup, no layer: the headers are set one by one and the body written with `end`,
 * as the front door writes its answers, so this is what writing that answer costs.
 */
function nodeHttpAnswer(port: number): void {
  const answer = recordedAnswer();
  const body = Buffer.from(answer.body, 'base64');
  // A name sent on several lines is set once with all its values, where it first stood.
  const headers = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of answer.headers) {
    const lower = name.toLowerCase();
    if (WRITTEN_BY_NODE.has(lower)) continue;
    const header = headers.get(lower) ?? { name, values: [] };
    header.values.push(value);
    headers.set(lower, header);
  }
  if (!headers.has('x-request-id')) headers.set('x-request-id', { name: 'X-Request-Id', values: [] });
  const lines = [...headers].map(([lower, { name, values }]) => ({
    name,
    value: values.length === 1 ? values[0] : values,
    freshId: lower === 'x-request-id',
  }));
  createServer((_request, response) => {
    for (const { name, value, freshId } of lines) response.setHeader(name, freshId ? randomUUID() : value);
    response.statusCode = answer.status;
    response.end(body);
  }).listen(port, '127.0.0.1');
}

/**
 * Nest on Express with nothing global; `pino`: plus the request logger of src/logging.ts; `als`:
 * plus only what that logger costs every promise, a request context in an AsyncLocalStorage
 * (nestjs-pino, used before, kept one per request).
 */
async function nestApp(port: number, pino: boolean, als = false): Promise<void> {
  const logger = createRootLogger(loadConfig(process.env));
  const root: DynamicModule = { module: HelloModule };
  const app = await NestFactory.create<NestExpressApplication>(root, {
    bufferLogs: pino,
    logger: ['warn', 'error'],
  });
  if (pino) {
    app.useLogger(new NestLogger(logger));
    app.use(requestLogger(logger));
  }
  if (als) {
    const storage = new AsyncLocalStorage<object>();
    app.use((_request: unknown, _response: unknown, next: () => void) => storage.run({}, next));
  }
  app.setGlobalPrefix('api/v1');
  await app.listen(port, '127.0.0.1');
}

/**
 * Baseline C: the hello route inside the real application, built by the real createApp, so every
 * global layer (helmet, CORS, body parser, request logger, guard, pipes, filter) is the service's.
 */
async function appWithHello(port: number): Promise<void> {
  const { config } = keepJwtSecret(loadConfig(process.env));
  const forRoot = AppModule.forRoot.bind(AppModule);
  AppModule.forRoot = (appConfig) => ({
    module: HelloModule,
    imports: [forRoot(appConfig)],
  });
  const app = await createApp(config);
  await app.listen(port, '127.0.0.1');
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  const port = Number(process.env.PORT);
  switch (kind) {
    case 'node-http':
      return nodeHttp(port);
    case 'express':
      return expressApp(port, false);
    case 'express-layers':
      return expressApp(port, true);
    case 'express-body':
      return expressBody(port);
    case 'node-http-answer':
      return nodeHttpAnswer(port);
    case 'nest':
      return nestApp(port, false);
    case 'nest-als':
      return nestApp(port, false, true);
    case 'nest-pino':
      return nestApp(port, true);
    case 'app':
      return appWithHello(port);
    case 'sse':
      return nodeSse(port);
    default:
      throw new Error(`unknown server kind "${kind}"; one of ${SERVER_KINDS.join(', ')}`);
  }
}

if (process.argv[1]?.endsWith('servers.js')) void main();
