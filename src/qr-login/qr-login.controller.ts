import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type ClientInfo } from '../auth/auth.service.js';
import { type AuthUser, CurrentUser, Public } from '../common/auth.decorators.js';
import { Client } from '../common/client-info.decorator.js';
import { AppError } from '../common/errors.js';
import { ApproveQrLoginDto } from './dto/approve-qr-login.dto.js';
import { QrLoginStreams } from './qr-login-streams.js';
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
    summary: 'A QR login code for this browser: {id, key, uri, png, expires_at}; single use, 2 minutes',
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
      'The browser waits here: `qr_login` {user, access_token, expires_in} once approved, or `qr_expired`',
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

  @Post(':id/approve')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Log the browser that shows this QR code in as me (from a logged-in phone)' })
  async approve(@CurrentUser() user: AuthUser, @Param('id') id: string, @Body() dto: ApproveQrLoginDto) {
    await this.qr.approve(user, id, dto.key);
    return {};
  }
}
