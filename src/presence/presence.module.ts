import { Module } from '@nestjs/common';
import { SseModule } from '../sse/sse.module.js';
import { UsersModule } from '../users/users.module.js';
import { PresenceController } from './presence.controller.js';
import { PresenceService } from './presence.service.js';

// Owns presence: who is online (open streams on any instance, in Redis or in process), status
// and last seen. It plugs is_online into every user record and publishes 'presence.changed'.
@Module({
  imports: [UsersModule, SseModule],
  controllers: [PresenceController],
  providers: [PresenceService],
  exports: [PresenceService],
})
export class PresenceModule {}
