import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser, Public } from '../common/auth.decorators.js';
import { Client, type ClientInfo } from '../common/client-info.decorator.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { AddPasskeyDto, PasskeyNameDto, PasskeySignInDto } from './dto/passkeys.dto.js';
import { PasskeyLoginService } from './passkey-login.service.js';
import { PasskeysService } from './passkeys.service.js';

@ApiTags('passkeys')
@ApiBearerAuth()
@Controller('me/passkeys')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Post('options')
  @HttpCode(200)
  @ApiOperation({ summary: 'Options for navigator.credentials.create(): a new passkey of mine' })
  options(@CurrentUser() user: AuthUser) {
    return this.passkeys.registrationOptions(user.userId);
  }

  @Post()
  @ApiOperation({ summary: "Keep the new passkey: the authenticator's answer to my options, and a name" })
  async add(@CurrentUser() user: AuthUser, @Body() dto: AddPasskeyDto, @Client() client: ClientInfo) {
    return { passkey: await this.passkeys.register(user.userId, dto.response, dto.name, client) };
  }

  @Get()
  @ApiOperation({ summary: 'My passkeys' })
  async list(@CurrentUser() user: AuthUser) {
    return { passkeys: await this.passkeys.list(user.userId) };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename one of my passkeys' })
  async rename(
    @CurrentUser() user: AuthUser,
    @Param('id', PositiveIntPipe) id: number,
    @Body() dto: PasskeyNameDto,
  ) {
    return { passkey: await this.passkeys.rename(user.userId, id, dto.name) };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove one of my passkeys: it signs in nowhere from now on' })
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', PositiveIntPipe) id: number,
    @Client() client: ClientInfo,
  ) {
    await this.passkeys.remove(user.userId, id, client);
    return {};
  }
}

@ApiTags('auth')
@Controller('auth/passkey')
export class PasskeyLoginController {
  constructor(private readonly passkeyLogin: PasskeyLoginService) {}

  @Public()
  @Post('options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Options for navigator.credentials.get(): sign in with a passkey, no email typed',
  })
  options() {
    return this.passkeyLogin.options();
  }

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: "Sign in with the authenticator's answer to the options of challenge_id" })
  signIn(@Body() dto: PasskeySignInDto, @Client() client: ClientInfo) {
    return this.passkeyLogin.signIn(dto.challenge_id, dto.response, client);
  }
}
