import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowUnconfirmed, type AuthUser, CurrentUser, Public } from '../common/auth.decorators.js';
import { Client } from '../common/client-info.decorator.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { CredentialLoginService } from './credential-login.service.js';
import { credentialsFrom } from './credentials.js';
import { EmailConfirmationService } from './email-confirmation.service.js';
import { LoginService } from './login.service.js';
import { PasswordResetService } from './password-reset.service.js';
import { RegistrationService } from './registration.service.js';
import { CredentialsDto, EmailDto, LogoutDto, RegisterDto, ResetPasswordDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly confirmation: EmailConfirmationService,
    private readonly passwordReset: PasswordResetService,
    private readonly credentialLogin: CredentialLoginService,
    private readonly logins: LoginService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('register')
  @ApiOperation({ summary: 'Create an account; a confirmation link is mailed (seed: register)' })
  register(@Body() dto: RegisterDto, @Client() client: ClientInfo) {
    return this.registration.register(dto, client);
  }

  @Public()
  @Get('confirm')
  @ApiOperation({ summary: 'The link in the confirmation mail: redirects to the application' })
  async confirm(@Query('token') token: unknown, @Res() response: Response): Promise<void> {
    const target = new URL(this.config.appRootUrl);
    try {
      if (typeof token !== 'string' || token === '') throw new AppError('invalid_token');
      await this.confirmation.confirmEmail(token);
      target.searchParams.set('email_confirmed', '1');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      target.searchParams.set('error', error.code === 'invalid_email' ? 'invalid_email' : 'invalid_token');
    }
    response.redirect(302, target.toString());
  }

  @Public()
  @Post('resend-confirmation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mail the confirmation link again (seed: resend_confirmation)' })
  async resendConfirmation(@Body() dto: EmailDto) {
    await this.confirmation.resendConfirmation(dto.email);
    return {};
  }

  @Public()
  @Post('password-reset/request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mail a password-reset link (seed: request_password_reset)' })
  async requestPasswordReset(@Body() dto: EmailDto) {
    await this.passwordReset.requestPasswordReset(dto.email);
    return {};
  }

  @Public()
  @Post('password-reset')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set a new password with the mailed token; ends every session (seed: reset_password)',
  })
  async resetPassword(@Body() dto: ResetPasswordDto) {
    await this.passwordReset.resetPassword(dto.token, dto.password);
    return {};
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in by email and password, or by auth_token (seed: login)' })
  login(@Body() dto: CredentialsDto, @Client() client: ClientInfo) {
    return this.credentialLogin.login(credentialsFrom(dto), client);
  }

  @AllowUnconfirmed()
  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the calling session (seed: logout)' })
  async logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto) {
    await this.logins.logout(user.userId, user.sessionId, dto.device_token ?? null);
    return {};
  }
}
