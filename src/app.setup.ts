import type { RequestListener, Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import { SwaggerModule } from '@nestjs/swagger';
import cors from 'cors';
import helmet from 'helmet';
import { AppModule } from './app.module.js';
import { allowedMethods, methodNotAllowed } from './common/allowed-methods.js';
import { defaultConnectionCap } from './common/connection-cap.js';
import { frontDoor, type Layer, sameHeaders } from './common/front-door.js';
import { API_CONTRACTS } from './api-contracts.js';
import { buildApiDocument } from './common/openapi/document.js';
import { checkJsonBytes } from './common/request-body.guard.js';
import { createValidationPipe } from './common/validation.js';
import { type AppConfig } from './config/app-config.js';
import { hotRoutes } from './hot-routes.js';
import { createRootLogger, NestLogger, requestLogger } from './logging.js';
import { httpMetrics, metricsEndpoint } from './metrics/http-metrics.js';
import { Metrics } from './metrics/metrics.service.js';

/** JSON bodies up to 4 MB: a 2 MB image as base64 fits (the limit). */
export const JSON_BODY_LIMIT = '4mb';

/** Builds the application with everything main.ts and the tests share. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const logger = createRootLogger(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(new NestLogger(logger));
  const server = app.getHttpServer() as Server;
  configureServer(server, config);
  const metrics = app.get(Metrics);
  // What every request goes through, in this order, whether Express or the front door answers it.
  const layers: Layer[] = [
    // First, so the request's id and logger are there for everything after it.
    requestLogger(logger),
    httpMetrics(metrics),
    helmet({
      // Avatars are embedded by apps on other origins.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }),
    cors({
      origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
      exposedHeaders: ['Retry-After', 'ETag', 'X-Request-Id'],
      maxAge: 600,
    }),
  ];
  const [logging, counting, ...headers] = layers;
  app.use(logging);
  app.use(counting);
  // Only with a token: with neither METRICS_TOKEN nor METRICS_PORT there is no /metrics here.
  if (config.metricsPort === null && config.metricsToken !== null) {
    app.use(metricsEndpoint(metrics, config.metricsToken));
  }
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);
  app.disable('x-powered-by');
  for (const layer of headers) app.use(layer);
  // After CORS and helmet, so a body the parser refuses (400, 413) still reaches a browser on
  // another origin. application/json, and its +json kinds (application/merge-patch+json).
  // Nest leaves `verify` out of its option types (it uses it for its raw-body option, which is off
  // here) and passes it on: ours checks the bytes before they are decoded.
  const jsonOptions = {
    limit: JSON_BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
    verify: checkJsonBytes,
  };
  app.useBodyParser('json', jsonOptions);
  app.setGlobalPrefix('api/v1', {
    exclude: ['health', 'health/ready', 'demo', 'demo/{*path}', '.well-known/jwks.json'],
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = buildApiDocument(app, API_CONTRACTS);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  await app.init();
  app.use(outsideTheApi);
  const express = app.getHttpAdapter().getInstance() as RequestListener;
  server.removeListener('request', express);
  // The same layers, with helmet's and CORS's headers taken once per origin (sameHeaders).
  server.on('request', frontDoor(express, [logging, counting, sameHeaders(headers)], hotRoutes(app)));
  return app;
}

/**
 * Last in line: Nest answers unknown routes under /api/v1 only, and Express would answer the rest
 * with an HTML page; a known path asked with a method it does not answer is a 405 with `Allow`.
 * The root leads to the demo page, as the default APP_ROOT_URL is the root: confirmation links
 * land there with their `?email_confirmed=1`.
 */
function outsideTheApi(request: Request, response: Response): void {
  if (request.path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
    const query = request.originalUrl.indexOf('?');
    response.redirect(302, `/demo${query < 0 ? '' : request.originalUrl.slice(query)}`);
    return;
  }
  const allow = allowedMethods(request);
  if (allow.length > 0) {
    const error = methodNotAllowed(request, allow);
    response.setHeader('Allow', allow.join(', '));
    response.status(error.status).json({ error: { code: error.code, text: error.message } });
    return;
  }
  response.status(404).json({ error: { code: 'not_found', text: 'no such route' } });
}

/**
 * Node's limits, set for a service behind a load balancer that holds long event streams. Node
 * raises its open-file limit to the hard `ulimit -n` itself; each connection takes one.
 * `headersTimeout` and `requestTimeout` count only while a request is being received, so they never
 * cut a stream (a response, however long) nor an idle keep-alive connection (`keepAliveTimeout`).
 */
function configureServer(server: Server, config: AppConfig): void {
  server.keepAliveTimeout = config.keepAliveSeconds * 1000;
  server.headersTimeout = config.headersTimeoutSeconds * 1000;
  // The body's time starts when the headers' ends at the latest.
  server.requestTimeout = (config.headersTimeoutSeconds + config.bodyTimeoutSeconds) * 1000;
  // Node looks for late requests only this often (30 s by default): a slow client held its
  // connection up to that much longer than the timeouts say.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    server.headersTimeout / 2,
  );
  const cap = config.maxConnections ?? defaultConnectionCap();
  if (cap) server.maxConnections = cap;
}
