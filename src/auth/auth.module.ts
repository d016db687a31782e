import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '../mail/mail.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { EmailToken } from './email-token.entity.js';
import { EmailTokensService } from './email-tokens.service.js';
import { PasswordChecks } from './password-checks.js';
import { PasswordHasher } from './password-hasher.js';
import { AccessTokensController } from './tokens.controller.js';

// Owns credentials: registration, email confirmation and password-reset tokens (email_tokens),
// password hashing, login and logout. Sessions themselves belong to tokens/.
@Module({
  imports: [TypeOrmModule.forFeature([EmailToken]), UsersModule, TokensModule, MailModule],
  controllers: [AuthController, AccessTokensController],
  providers: [AuthService, EmailTokensService, PasswordHasher, PasswordChecks],
  exports: [AuthService, EmailTokensService, PasswordHasher, PasswordChecks],
})
export class AuthModule {}
