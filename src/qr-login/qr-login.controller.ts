import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { type AuthUser, CurrentUser, Public } from '../common/auth.decorators.js';
import { Client } from '../common/client-info.decorator.js';
import { AppError } from '../common/errors.js';
import { ApproveQrLoginDto } from './dto/approve-qr-login.dto.js';
import { QrLoginStreams } from './qr-login-streams.service.js';
import { QrLoginService } from './qr-login.service.js';

@ApiTags('auth')
@Controller('auth/qr')
export class QrLoginController {
  constructor(
    private readonly qr: QrLoginService,
    private readonly streams: QrLoginStreams,
  ) {}

  @Public()
  @Post()
  @ApiOperation({
    summary:
      'A QR login code for this browser: {id, key, uri, png, expires_at, check}; single use, 2 minutes. ' +
      'The page shows `check` (two digits) beside the code; the approving phone must repeat it',
  })
  create(@Client() client: ClientInfo) {
    return this.qr.create(client);
  }

  @Public()
  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'key', description: 'The key from POST /auth/qr.' })
  @ApiOperation({
    summary:
      'The browser waits here: `qr_login` {user, access_token, expires_in, approved_by: {user_agent, device, ip}} ' +
      'once approved, or `qr_expired` {id, reason: expired | wrong_check | account_disabled}',
  })
  async events(
    @Param('id') id: string,
    @Query('key') key: unknown,
    @Client() client: ClientInfo,
    @Res() response: Response,
  ): Promise<void> {
    if (typeof key !== 'string' || !(await this.qr.keyMatches(id, key))) {
      throw new AppError('unauthorized', 'unknown QR code or wrong key');
    }
    await this.streams.open(id, client, response);
  }

  @Get(':id')
  @ApiBearerAuth()
  @ApiQuery({ name: 'key', description: 'The key from the scanned `uri`.' })
  @ApiOperation({
    summary:
      'What a phone is about to approve: {id, user_agent, device, ip, created_at, expires_at, check} of ' +
      'the browser that asked for the code; 400 invalid_token when unknown, used, void or expired',
  })
  details(@Param('id') id: string, @Query('key') key: unknown) {
    if (typeof key !== 'string') throw new AppError('invalid_params', 'key is required');
    return this.qr.details(id, key);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Log the browser that shows this QR code in as me (from a logged-in phone), repeating its check ' +
      'number; a wrong one voids the code',
  })
  async approve(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: ApproveQrLoginDto,
    @Client() client: ClientInfo,
  ) {
    await this.qr.approve(user, id, dto.key, dto.check, client);
    return {};
  }
}
