import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUnconfirmed, type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { EventBus } from '../bus/event-bus.service.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('tokens')
@ApiBearerAuth()
@AllowUnconfirmed()
@Controller('tokens/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly events: EventBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'My open sessions; `current` marks the calling one' })
  async list(@CurrentUser() user: AuthUser) {
    return { sessions: await this.sessions.list(user.userId, user.sessionId) };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'End one of my sessions; its access tokens stop working at once' })
  async end(@CurrentUser() user: AuthUser, @Param('id', PositiveIntPipe) id: number) {
    await this.sessions.end(user.userId, id);
    this.events.emit('auth.sessions_ended', { userId: user.userId, sessionIds: [id] });
    return {};
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'End every session but the calling one' })
  async endOthers(@CurrentUser() user: AuthUser) {
    const ended = await this.sessions.endOthers(user.userId, user.sessionId);
    if (ended.length > 0) this.events.emit('auth.sessions_ended', { userId: user.userId, sessionIds: ended });
    return {};
  }
}
