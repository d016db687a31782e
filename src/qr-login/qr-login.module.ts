import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { Heartbeat } from '../sse/heartbeat.service.js';
import { QrLoginController } from './qr-login.controller.js';
import { QrLogin } from './qr-login.entity.js';
import { QrLoginStreams } from './qr-login-streams.service.js';
import { QrLoginService } from './qr-login.service.js';

// Owns QR login: the qr_logins table, the browsers' waiting streams and approvals.
// The session itself is opened by LoginService; approvals reach other instances over ClusterBus.
// Its streams use the SSE framing and keep-alive of sse/ (its own Heartbeat timer, not the gateway).
@Module({
  imports: [TypeOrmModule.forFeature([QrLogin]), AuthModule],
  controllers: [QrLoginController],
  providers: [QrLoginService, QrLoginStreams, Heartbeat],
})
export class QrLoginModule {}
