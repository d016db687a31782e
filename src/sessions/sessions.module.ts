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
import { accessTokenKey } from './jwt-key.js';
import { JwtStrategy } from './jwt.strategy.js';
import { KnownTokens } from './known-tokens.service.js';
import { Session } from './session.entity.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

// Owns sessions, access tokens (JWT) and the global access-token guard. A revoked session's
// access tokens stop working at once on every instance (and sse/ closes its streams).
@Module({
  imports: [
    TypeOrmModule.forFeature([Session]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        privateKey: accessTokenKey(config),
        signOptions: { algorithm: 'HS256' as const },
      }),
    }),
    UsersModule,
  ],
  controllers: [SessionsController],
  providers: [
    SessionsService,
    JwtStrategy,
    ConfirmationGate,
    KnownTokens,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [SessionsService, ConfirmationGate, KnownTokens],
})
export class SessionsModule {}
