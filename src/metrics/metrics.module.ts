import { Global, Module } from '@nestjs/common';
import { MetricsListeners } from './metrics-listeners.service.js';
import { MetricsServer } from './metrics-server.service.js';
import { Metrics } from './metrics.service.js';

// Owns the Prometheus metrics: one registry per application, GET /metrics (on the main port behind
// METRICS_TOKEN, or alone on METRICS_PORT; off without either), and the counters of domain events (logins). Global:
// modules count what happens in them through the one Metrics service.
@Global()
@Module({
  providers: [Metrics, MetricsListeners, MetricsServer],
  exports: [Metrics],
})
export class MetricsModule {}
