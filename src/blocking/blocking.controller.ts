import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { BlockingService } from './blocking.service.js';
import { UserIdDto } from '../common/user-id.dto.js';

@ApiTags('blocking')
@ApiBearerAuth()
@Controller('blocks')
export class BlockingController {
  constructor(private readonly blocking: BlockingService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Block a user (idempotent)',
    description:
      'The blocked user then sees you as offline, with no avatar or status, hears nothing about you and cannot add you.',
  })
  async block(@CurrentUser() user: AuthUser, @Body() dto: UserIdDto) {
    await this.blocking.block(user.userId, dto.user_id);
    return {};
  }

  @Delete(':user_id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Lift a block (idempotent)',
    description: 'Answers {} also when there was no block; 404 not_found only when the user does not exist.',
  })
  async unblock(@CurrentUser() user: AuthUser, @Param('user_id', PositiveIntPipe) userId: number) {
    await this.blocking.unblock(user.userId, userId);
    return {};
  }

  @Get()
  @ApiOperation({ summary: 'Users I blocked' })
  async blocked(@CurrentUser() user: AuthUser) {
    return { users: await this.blocking.blockedBy(user.userId) };
  }

  @Get('blockers')
  @ApiOperation({ summary: 'Users who blocked me' })
  async blockers(@CurrentUser() user: AuthUser) {
    return { users: await this.blocking.blockersOf(user.userId) };
  }
}
