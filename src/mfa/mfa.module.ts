import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { LoginService } from '../auth/login.service.js';
import { MailModule } from '../mail/mail.module.js';
import { UsersModule } from '../users/users.module.js';
import { MfaController, MfaLoginController } from './mfa.controller.js';
import { MfaLoginService } from './mfa-login.service.js';
import { MfaNotices } from './mfa-notices.service.js';
import { MfaSecrets } from './mfa-secrets.service.js';
import { MfaChallenge, RecoveryCode, TotpFactor } from './second-factor.entity.js';
import { SecondFactorsService } from './second-factors.service.js';
import { TotpEnrolmentService } from './totp-enrolment.service.js';

// Owns two-step login: TOTP authenticators (mfa_totp, secrets sealed), recovery codes
// (mfa_recovery_codes, keyed hashes) and the pending second steps of password logins
// (mfa_challenges); /me/mfa/* and POST /auth/login/mfa. It is auth's second-factor gate, asked
// after a password and after a sign-in with an OpenID provider.
@Module({
  imports: [
    TypeOrmModule.forFeature([TotpFactor, RecoveryCode, MfaChallenge]),
    AuthModule,
    UsersModule,
    MailModule,
  ],
  controllers: [MfaController, MfaLoginController],
  providers: [MfaSecrets, SecondFactorsService, MfaNotices, TotpEnrolmentService, MfaLoginService],
  exports: [TotpEnrolmentService, MfaLoginService, MfaNotices],
})
export class MfaModule implements OnModuleInit {
  constructor(
    private readonly logins: LoginService,
    private readonly gate: MfaLoginService,
  ) {}

  /** Every door that proves one factor (a password, a provider's sign-in) asks this module for the second step. */
  onModuleInit(): void {
    this.logins.useSecondFactor(this.gate);
  }
}
