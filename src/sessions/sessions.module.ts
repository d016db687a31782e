import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { ConfirmationGate } from './confirmation-gate.service.js';
import { AccessTokenKeys } from './access-token-keys.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { KnownTokens } from './known-tokens.service.js';
import { Session } from './session.entity.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

// Owns sessions, access tokens (ES256 JWTs signed with signing-keys/'s keys) and the global access-token guard. A revoked session's
// access tokens stop working at once on every instance (and sse/ closes its streams).
@Module({
  imports: [
    TypeOrmModule.forFeature([Session]),
    PassportModule,
    // Keys are chosen per token (access-token-keys.service.ts).
    JwtModule.register({}),
    SigningKeysModule,
    UsersModule,
  ],
  controllers: [SessionsController],
  providers: [
    SessionsService,
    AccessTokenKeys,
    JwtStrategy,
    ConfirmationGate,
    KnownTokens,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [SessionsService, ConfirmationGate, KnownTokens, AccessTokenKeys],
})
export class SessionsModule {}
