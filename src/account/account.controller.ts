import { Body, Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { AllowUnconfirmed, type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { Client } from '../common/client-info.decorator.js';
import { AccountService } from './account.service.js';
import { ACTIVITY_PAGE_DEFAULT, ActivityService } from './activity.service.js';
import { ActivityQueryDto, DeleteMeDto } from './dto/account.dto.js';

@ApiTags('account')
@ApiBearerAuth()
@AllowUnconfirmed()
@Controller('me')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly activity: ActivityService,
  ) {}

  @Get('activity')
  @ApiOperation({
    summary:
      'My security events, newest first: logins (method, address, user agent), failed logins, logouts, ' +
      "ended sessions, password and email changes, devices, exports, operators' actions. Kept 90 days. " +
      'Page with before_id.',
  })
  activityPage(@CurrentUser() user: AuthUser, @Query() query: ActivityQueryDto) {
    return this.activity.list(user.userId, query.before_id ?? null, query.limit ?? ACTIVITY_PAGE_DEFAULT);
  }

  @Get('export')
  @ApiOperation({
    summary:
      'Everything the service holds about me as one JSON document: own record, avatar URLs, contacts ' +
      'and who added me, blocks both ways, sessions, devices, security activity. One a minute.',
  })
  @ApiTooManyRequestsResponse({ description: '`please_wait` with `retry_after`: one export a minute' })
  export(@CurrentUser() user: AuthUser, @Client() client: ClientInfo) {
    return this.account.export(user.userId, user.sessionId, client);
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Delete my account with current_password: profile, avatar, contacts and blocks both ways, devices, ' +
      'sessions and codes go; my streams close; friends get user_deleted; email and nick become free.',
  })
  async deleteMe(@CurrentUser() user: AuthUser, @Body() dto: DeleteMeDto, @Client() client: ClientInfo) {
    await this.account.delete(user.userId, user.sessionId, dto.current_password, client);
    return {};
  }
}
