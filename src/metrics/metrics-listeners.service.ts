import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service.js';
import { Metrics } from './metrics.service.js';

/** Counts what other modules announce as domain events, so they need not know about metrics. */
@Injectable()
export class MetricsListeners implements OnModuleInit {
  constructor(
    private readonly events: EventBus,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.events.on('auth.logged_in', ({ method }) => this.metrics.logins.labels(method, 'success').inc());
    this.events.on('auth.login_failed', ({ method }) => {
      if (method !== 'current_password') this.metrics.logins.labels(method, 'failure').inc();
    });
  }
}
