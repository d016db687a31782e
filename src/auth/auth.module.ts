import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '../mail/mail.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { CredentialLoginService } from './credential-login.service.js';
import { CredentialsService } from './credentials.service.js';
import { EmailConfirmationService } from './email-confirmation.service.js';
import { LoginService } from './login.service.js';
import { PasswordResetService } from './password-reset.service.js';
import { RegistrationService } from './registration.service.js';
import { EmailToken } from './email-token.entity.js';
import { EmailTokensService } from './email-tokens.service.js';
import { PasswordChecks } from './password-checks.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { PasswordRules } from './password-rules.service.js';
import { AccessTokensController } from '../sessions/tokens.controller.js';

// Owns credentials: registration, email confirmation and password-reset tokens (email_tokens),
// password hashing and checks, the login doors that take a password or auth token, and the login
// answer every door ends with (LoginService). Sessions themselves belong to sessions/.
@Module({
  imports: [TypeOrmModule.forFeature([EmailToken]), UsersModule, SessionsModule, MailModule],
  controllers: [AuthController, AccessTokensController],
  providers: [
    LoginService,
    CredentialLoginService,
    RegistrationService,
    EmailConfirmationService,
    PasswordResetService,
    CredentialsService,
    EmailTokensService,
    PasswordHasher,
    PasswordRules,
    PasswordChecks,
  ],
  exports: [
    LoginService,
    CredentialLoginService,
    RegistrationService,
    EmailConfirmationService,
    PasswordResetService,
    CredentialsService,
    EmailTokensService,
    PasswordHasher,
    PasswordChecks,
  ],
})
export class AuthModule {}
