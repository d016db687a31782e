import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlockingModule } from '../blocking/blocking.module.js';
import { UsersModule } from '../users/users.module.js';
import { ApnsProvider } from './apns.provider.js';
import { Device } from './device.entity.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { FcmProvider } from './fcm.provider.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';
import { WebPushProvider } from './web-push.provider.js';

// Owns the devices table (iPhone, Android and browser push tokens, one user each) and push: one
// provider per service (APNs, FCM, Web Push and its VAPID key), every answer handled alike (dead
// tokens forgotten, 429/5xx retried with back-off). Which events push is fanout/'s to decide.
@Module({
  imports: [TypeOrmModule.forFeature([Device]), UsersModule, BlockingModule],
  controllers: [DevicesController, PushController],
  providers: [DevicesService, PushService, ApnsProvider, FcmProvider, WebPushProvider],
  exports: [DevicesService, PushService],
})
export class DevicesModule {}
