import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlockingModule } from '../blocking/blocking.module.js';
import { UsersModule } from '../users/users.module.js';
import { Device } from './device.entity.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { PushService } from './push.service.js';

// Owns the devices table (iOS device tokens, one user each) and push: one long-lived APNs
// connection per instance and APNs' answers (dead tokens forgotten, 429/5xx retried with
// back-off). Off, with one log line, without APNS_*. Which events push is fanout/'s to decide.
@Module({
  imports: [TypeOrmModule.forFeature([Device]), UsersModule, BlockingModule],
  controllers: [DevicesController],
  providers: [DevicesService, PushService],
  exports: [DevicesService, PushService],
})
export class DevicesModule {}
