import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlockingModule } from '../blocking/blocking.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { ChatPushes } from '../fanout/chat-pushes.service.js';
import { PresenceModule } from '../presence/presence.module.js';
import { ProfileModule } from '../profile/profile.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { EventIdEpoch } from './event-id-epoch.entity.js';
import { StreamHub } from './stream-hub.service.js';
import { ReplayLog } from './replay-log.js';
import { FanoutService } from '../fanout/fanout.service.js';
import { DeliveryReceipts } from './delivery-receipts.js';
import { Heartbeat } from './heartbeat.js';
import { SseController } from './sse.controller.js';

// Owns the event streams: GET /events (authorized by the SSE code), per-user event ids (and the
// epochs that keep in-process ids unique across restarts) and the replay buffer, delivery across
// instances (with receipts for events a sender waits on), and the fan-out of domain events to
// recipients: stream events, and chat pushes no stream took.
@Module({
  imports: [
    TypeOrmModule.forFeature([EventIdEpoch]),
    SessionsModule,
    UsersModule,
    PresenceModule,
    ProfileModule,
    BlockingModule,
    DevicesModule,
  ],
  controllers: [SseController],
  providers: [StreamHub, ReplayLog, FanoutService, ChatPushes, DeliveryReceipts, Heartbeat],
  exports: [StreamHub],
})
export class SseModule {}
