import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '../mail/mail.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { CredentialsService } from './credentials.service.js';
import { EmailToken } from './email-token.entity.js';
import { EmailTokensService } from './email-tokens.service.js';
import { PasswordChecks } from './password-checks.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { AccessTokensController } from '../sessions/tokens.controller.js';

// Owns credentials: registration, email confirmation and password-reset tokens (email_tokens),
// password hashing, login and logout. Sessions themselves belong to tokens/.
@Module({
  imports: [TypeOrmModule.forFeature([EmailToken]), UsersModule, SessionsModule, MailModule],
  controllers: [AuthController, AccessTokensController],
  providers: [AuthService, CredentialsService, EmailTokensService, PasswordHasher, PasswordChecks],
  exports: [AuthService, CredentialsService, EmailTokensService, PasswordHasher, PasswordChecks],
})
export class AuthModule {}
