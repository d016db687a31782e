import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser, Public } from '../common/auth.decorators.js';
import { Client, type ClientInfo } from '../common/client-info.decorator.js';
import { MfaCodeDto, MfaLoginDto, StartTotpDto } from './dto/mfa.dto.js';
import { MfaLoginService } from './mfa-login.service.js';
import { TotpEnrolmentService } from './totp-enrolment.service.js';

@ApiTags('mfa')
@ApiBearerAuth()
@Controller('me/mfa')
export class MfaController {
  constructor(private readonly totp: TotpEnrolmentService) {}

  @Get()
  @ApiOperation({ summary: 'Whether two-step login (TOTP) is on, and how many recovery codes are left' })
  status(@CurrentUser() user: AuthUser) {
    return this.totp.status(user.userId);
  }

  @Post('totp')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start setting up an authenticator app: its secret, otpauth URI and QR code' })
  start(@CurrentUser() user: AuthUser, @Body() dto: StartTotpDto, @Client() client: ClientInfo) {
    return this.totp.start(user.userId, user.sessionId, dto.current_password, client);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @ApiOperation({
    summary: "Turn two-step login on with the app's first code; answers 10 recovery codes, once",
  })
  confirm(@CurrentUser() user: AuthUser, @Body() dto: MfaCodeDto, @Client() client: ClientInfo) {
    return this.totp.confirm(user.userId, dto.code, client);
  }

  @Delete('totp')
  @HttpCode(200)
  @ApiOperation({ summary: 'Turn two-step login off, with a code of the app or a recovery code' })
  async turnOff(@CurrentUser() user: AuthUser, @Body() dto: MfaCodeDto, @Client() client: ClientInfo) {
    await this.totp.turnOff(user.userId, dto.code, client);
    return {};
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOperation({ summary: 'New recovery codes in place of the old ones, with a code; shown once' })
  renew(@CurrentUser() user: AuthUser, @Body() dto: MfaCodeDto, @Client() client: ClientInfo) {
    return this.totp.renewRecoveryCodes(user.userId, dto.code, client);
  }
}

@ApiTags('auth')
@Controller('auth/login/mfa')
export class MfaLoginController {
  constructor(private readonly mfaLogin: MfaLoginService) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'The second step of a password login: the mfa_token and a TOTP or recovery code' })
  login(@Body() dto: MfaLoginDto, @Client() client: ClientInfo) {
    return this.mfaLogin.complete(dto.mfa_token, dto.code, client);
  }
}
