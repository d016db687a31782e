import { Module } from '@nestjs/common';
import { WebhookEndpointsModule } from './webhook-endpoints.module.js';
import { WebhookRecorder } from './webhook-recorder.service.js';
import { WebhookSender } from './webhook-sender.service.js';
import { WebhookSubscriptions } from './webhook-subscriptions.js';
import { WebhooksController } from './webhooks.controller.js';

// Owns the webhook_endpoints and webhook_deliveries tables: deliveries written in the transaction
// of each change (WebhookRecorder, from domain events), sent signed with retries once per instance
// set (WebhookSender), and /admin/webhooks for operators (scope admin).
@Module({
  imports: [WebhookEndpointsModule],
  controllers: [WebhooksController],
  providers: [WebhookRecorder, WebhookSender, WebhookSubscriptions],
})
export class WebhooksModule {}
