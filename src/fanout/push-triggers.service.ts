import { Injectable, type OnModuleInit } from '@nestjs/common';
import { BlockingService } from '../blocking/blocking.service.js';
import { type DomainEvents } from '../bus/domain-events.js';
import { EventBus } from '../bus/event-bus.service.js';
import { UsersService } from '../users/users.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { pushMessages } from '../devices/push-messages.js';
import { PushService } from '../devices/push.service.js';

/** The account events that warrant a push, and the logout that gives a device up. */
@Injectable()
export class PushTriggers implements OnModuleInit {
  constructor(
    private readonly events: EventBus,
    private readonly push: PushService,
    private readonly devices: DevicesService,
    private readonly users: UsersService,
    private readonly blocking: BlockingService,
  ) {}

  onModuleInit(): void {
    this.events.on('auth.session_created', ({ userId, userAgent, at }) =>
      this.push.notify(userId, pushMessages.newLogin(userId, userAgent, at)),
    );
    this.events.on('auth.password_changed', ({ userId, via }) =>
      this.push.notify(userId, pushMessages.passwordChanged(userId, via)),
    );
    this.events.on('contact.added', (event) => this.contactAdded(event));
    this.events.on('auth.logged_out', ({ userId, deviceToken }) =>
      deviceToken === null ? undefined : this.devices.forget(userId, deviceToken),
    );
  }

  private async contactAdded({ userId, contactId }: DomainEvents['contact.added']): Promise<void> {
    if (!this.push.enabled) return;
    // Never for a blocked pair, whichever way the block goes.
    if (await this.blocking.isBlockedEitherWay(userId, contactId)) return;
    const adder = await this.users.findById(userId);
    if (adder) this.push.notify(contactId, pushMessages.contactAdded(adder));
  }
}
