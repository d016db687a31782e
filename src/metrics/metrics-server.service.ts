import { createServer, type Server } from 'node:http';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { METRICS_PATH, metricsEndpoint } from './http-metrics.js';
import { Metrics } from './metrics.service.js';

/** With METRICS_PORT, /metrics is served by a server of its own on that port (and not on the main one). */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, metricsToken, host } = this.config;
    if (metricsPort === null) {
      this.logger.log(
        metricsToken === null
          ? `${METRICS_PATH} is off: set METRICS_TOKEN (a bearer token on the main port) or METRICS_PORT (a port of its own) to serve it`
          : `${METRICS_PATH} on the main port, for the METRICS_TOKEN bearer`,
      );
      return;
    }
    const server = createServer(metricsEndpoint(this.metrics, metricsToken));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(metricsPort, host, () => resolve());
    });
    this.server = server;
    this.logger.log(`${METRICS_PATH} on http://${host}:${metricsPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
