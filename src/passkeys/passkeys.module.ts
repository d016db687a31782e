import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { UsersModule } from '../users/users.module.js';
import { PasskeyChallenges } from './passkey-challenges.service.js';
import { PasskeyLoginService } from './passkey-login.service.js';
import { Passkey, PasskeyChallenge } from './passkey.entity.js';
import { PasskeyLoginController, PasskeysController } from './passkeys.controller.js';
import { PasskeysService } from './passkeys.service.js';

// Owns passkeys (WebAuthn): the passkeys table (public keys, counters), the challenges of
// registrations and sign-ins (passkey_challenges); /me/passkeys and /auth/passkey. A sign-in
// ends with auth's LoginService, as every door does; a passkey added or removed is told to the
// owner by mfa's MfaNotices, as a change to two-step login is.
@Module({
  imports: [TypeOrmModule.forFeature([Passkey, PasskeyChallenge]), AuthModule, UsersModule, MfaModule],
  controllers: [PasskeysController, PasskeyLoginController],
  providers: [PasskeysService, PasskeyLoginService, PasskeyChallenges],
  exports: [PasskeysService],
})
export class PasskeysModule {}
