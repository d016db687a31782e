import { Module } from '@nestjs/common';
import { BlockingModule } from '../blocking/blocking.module.js';
import { ContactsModule } from '../contacts/contacts.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { SseModule } from '../sse/sse.module.js';
import { UsersModule } from '../users/users.module.js';
import { ChatPushes } from './chat-pushes.service.js';
import { FanoutService } from './fanout.service.js';
import { PushTriggers } from './push-triggers.service.js';

// Who hears what: turns domain events into stream messages for their recipients (friends,
// blocks, invisibility, last-seen privacy), filters replays, and sends pushes — chat-type ones
// only when no stream took the event, security ones always. It sits on top: it imports the
// features and the sse transport, and nothing imports it.
@Module({
  imports: [SseModule, UsersModule, BlockingModule, ContactsModule, PresenceModule, DevicesModule],
  providers: [FanoutService, ChatPushes, PushTriggers],
})
export class FanoutModule {}
