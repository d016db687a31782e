import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { pushMessages } from '../devices/push-messages.js';
import { PushService } from '../devices/push.service.js';

/**
 * The security events that warrant a push, always, whatever streams are open (a new login, a
 * password changed or reset, two-step login turned on or off, a recovery code used, a passkey
 * added or removed), and the logout that gives a device up. Chat-type pushes (contact
 * added) go with their stream event: fanout.service.ts and chat-pushes.service.ts.
 */
@Injectable()
export class PushTriggers implements OnModuleInit {
  constructor(
    private readonly events: EventBus,
    private readonly push: PushService,
    private readonly devices: DevicesService,
  ) {}

  onModuleInit(): void {
    this.events.on('auth.session_created', ({ userId, userAgent, at }) =>
      this.push.notify(userId, pushMessages.newLogin(userId, userAgent, at), at),
    );
    this.events.on('auth.password_changed', ({ userId, via }) =>
      this.push.notify(userId, pushMessages.passwordChanged(userId, via)),
    );
    this.events.on('mfa.changed', (notice) => {
      const message = pushMessages.secondFactor(notice.userId, notice);
      return message === null ? undefined : this.push.notify(notice.userId, message);
    });
    this.events.on('auth.logged_out', ({ userId, deviceToken }) =>
      deviceToken === null ? undefined : this.devices.forget(userId, deviceToken),
    );
  }
}
