import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DeliveryReceipts } from './delivery-receipts.service.js';
import { EventIdEpoch } from './event-id-epoch.entity.js';
import { Heartbeat } from './heartbeat.service.js';
import { ReplayLog } from './replay-log.service.js';
import { SseCodeController } from './sse-code.controller.js';
import { SseCode } from './sse-code.entity.js';
import { SseCodesService } from './sse-codes.service.js';
import { SseController } from './sse.controller.js';
import { StreamHub } from './stream-hub.service.js';

// The event stream as transport: SSE codes (one per session), GET /events, per-user event ids
// (and the epochs that keep in-process ids unique across restarts), the replay buffer, delivery
// across instances (with receipts for events a sender waits on) and heartbeats. It decides
// nothing about who hears what: fanout/ does, and registers its replay filter; presence
// registers the counter of each user's streams. It imports no feature but sessions (a stream
// belongs to a session, and ends with it).
@Module({
  imports: [TypeOrmModule.forFeature([EventIdEpoch, SseCode]), SessionsModule],
  controllers: [SseController, SseCodeController],
  providers: [StreamHub, ReplayLog, DeliveryReceipts, Heartbeat, SseCodesService],
  exports: [StreamHub, DeliveryReceipts, SseCodesService],
})
export class SseModule {}
