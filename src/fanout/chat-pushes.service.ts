import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { PushMessage } from '../devices/push-messages.js';
import { PushService } from '../devices/push.service.js';
import { PresenceService } from '../presence/presence.service.js';
import { DeliveryReceipts } from '../sse/delivery-receipts.service.js';

/** How often a waiting push looks whether a stream took its event. */
const POLL_MS = 50;

/**
 * Chat-type pushes (someone added you; future messages) are news only when no open stream told
 * the user: they go to the phones at once when the user has no stream on any instance, else only
 * if no stream took the event within PUSH_STREAM_GRACE_SECONDS. Security pushes do not pass here:
 * they always go (push-triggers.service.ts).
 */
@Injectable()
export class ChatPushes {
  private readonly logger = new Logger('Push');
  private readonly graceMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly push: PushService,
    private readonly presence: PresenceService,
    private readonly receipts: DeliveryReceipts,
    private readonly clock: Clock,
  ) {
    this.graceMs = config.pushStreamGraceSeconds * 1000;
  }

  /** After stream event `eventId` was delivered to the user: pushes `message` unless a stream took it. */
  async send(userId: number, message: PushMessage, eventId: number): Promise<void> {
    // Nobody to push to: no need to wait for the streams.
    if (!(await this.push.reaches(userId))) return;
    if (await this.streamTook(userId, eventId)) {
      this.logger.log(`push ${message.event} to user ${userId}: not sent, an open stream took the event`);
      return;
    }
    this.push.notify(userId, message);
  }

  private async streamTook(userId: number, eventId: number): Promise<boolean> {
    if (!(await this.presence.onlineAmong([userId])).has(userId)) return false;
    const deadline = this.clock.nowMs() + this.graceMs;
    for (;;) {
      if (await this.receipts.taken(userId, eventId)) return true;
      const left = deadline - this.clock.nowMs();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    }
  }
}
