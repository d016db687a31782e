import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AuthUser, CurrentUser, OptionalUser, Public } from '../common/auth.decorators.js';
import { sendJson, sendAnswerWithETag, sendWithETag } from '../common/conditional-get.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { parseUsersQuery, UsersQuery } from './dto/users-query.dto.js';
import { UserDirectoryService } from './user-directory.service.js';

@ApiTags('profile')
@Controller('users')
export class UsersController {
  constructor(private readonly directory: UserDirectoryService) {}

  @Public()
  @Get(':id')
  @ApiOperation({ summary: "A user's public record; with a token, as the caller sees it (seed: get_user)" })
  async user(
    @Param('id', PositiveIntPipe) id: number,
    @OptionalUser() viewer: AuthUser | null,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    sendWithETag(request, response, { user: await this.directory.publicUser(id, viewer?.userId ?? null) });
  }

  @ApiBearerAuth()
  @Get()
  @ApiOperation({
    summary: 'Several users at once (`ids`, up to 100), or people by nick prefix (`nick`, at most 20)',
  })
  async search(
    @CurrentUser() user: AuthUser,
    @Query() query: UsersQuery,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const lookup = parseUsersQuery(query);
    if ('ids' in lookup) {
      sendAnswerWithETag(request, response, await this.directory.publicUsersAnswer(lookup.ids, user.userId));
      return;
    }
    sendJson(response, (await this.directory.searchAnswer(lookup.nick, user.userId)).bytes);
  }
}
