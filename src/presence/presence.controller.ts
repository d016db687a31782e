import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AllowUnconfirmed,
  type AuthUser,
  CurrentUser,
  OptionalUser,
  Public,
} from '../common/auth.decorators.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { SetStatusDto, statusOf } from './dto/status.dto.js';
import { PresenceService } from './presence.service.js';

@ApiTags('presence')
@Controller()
export class PresenceController {
  constructor(private readonly presence: PresenceService) {}

  @ApiBearerAuth()
  // The status is part of the own record, which an unconfirmed user may update.
  @AllowUnconfirmed()
  @Put('me/status')
  @ApiOperation({ summary: 'Set my status: null, away, busy, do_not_disturb or invisible' })
  async setStatus(@CurrentUser() user: AuthUser, @Body() dto: SetStatusDto) {
    return { user: await this.presence.setStatus(user.userId, statusOf(dto)) };
  }

  @Public()
  @Get('users/:id/last-seen')
  @ApiOperation({
    summary: "A user's online state and last seen time; hidden when invisible or when they blocked me",
  })
  lastSeen(@Param('id', PositiveIntPipe) id: number, @OptionalUser() viewer: AuthUser | null) {
    return this.presence.lastSeen(id, viewer?.userId ?? null);
  }
}
