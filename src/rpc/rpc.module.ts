import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { BlockingModule } from '../blocking/blocking.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { ProfileModule } from '../profile/profile.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SseModule } from '../sse/sse.module.js';
import { UsersModule } from '../users/users.module.js';
import { RpcController } from './rpc.controller.js';
import { RpcService } from './rpc.service.js';

// Owns nothing but a route: POST /rpc/:method calls the feature modules' services by the seed's
// method names, for existing clients. No rule lives here.
@Module({
  imports: [
    AccountModule,
    AuthModule,
    MfaModule,
    ProfileModule,
    PresenceModule,
    BlockingModule,
    DevicesModule,
    SessionsModule,
    SseModule,
    UsersModule,
  ],
  controllers: [RpcController],
  providers: [RpcService],
})
export class RpcModule {}
