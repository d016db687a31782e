import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { ConfirmationGate } from './confirmation-gate.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { Session } from './session.entity.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';
import { SseCodeController } from '../sse/sse-code.controller.js';
import { SseCode } from '../sse/sse-code.entity.js';
import { SseCodesService } from '../sse/sse-codes.service.js';

// Owns sessions, access tokens (JWT), SSE codes and the global access-token guard. A revoked
// session's access tokens, and a revoked SSE code's streams, stop working at once on every instance.
@Module({
  imports: [
    TypeOrmModule.forFeature([Session, SseCode]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      // A KeyObject, not a string: jsonwebtoken first tries a string as a public key, ~1 ms a call.
      useFactory: (config: AppConfig) => ({
        privateKey: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')),
        signOptions: { algorithm: 'HS256' as const },
      }),
    }),
    UsersModule,
  ],
  controllers: [SessionsController, SseCodeController],
  providers: [
    SessionsService,
    SseCodesService,
    JwtStrategy,
    ConfirmationGate,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [SessionsService, SseCodesService, ConfirmationGate],
})
export class SessionsModule {}
