import { Module } from '@nestjs/common';
import { WebhooksService } from './webhooks.service.js';

// Owns the management of webhook endpoints (WebhooksService: create, list, update, rotate, test,
// deliveries), apart from sending so the operator CLI can boot it alone. Needs the configuration,
// the database and the clock (global in the app and in the CLI).
@Module({ providers: [WebhooksService], exports: [WebhooksService] })
export class WebhookEndpointsModule {}
