import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '../common/errors.js';
import { parseId } from '../common/ids.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { operatorOf } from '../service-keys/operator.js';
import { CurrentServiceKey, ServiceScope } from '../service-keys/service-scope.decorator.js';
import { type ServicePrincipal } from '../service-keys/service-scopes.js';
import { AdminActionsService } from './admin-actions.service.js';
import { ADMIN_PAGE_DEFAULT, AdminUsersService } from './admin-users.service.js';
import { AdminUsersQueryDto } from './dto/admin-users-query.dto.js';

@ApiTags('admin')
@ServiceScope('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly actions: AdminActionsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Find users by id, email prefix or nick prefix (none: everybody), a page at a time',
  })
  search(@Query() query: AdminUsersQueryDto, @CurrentServiceKey() key: ServicePrincipal) {
    let id: number | undefined;
    if (query.id !== undefined) {
      id = parseId(query.id) ?? undefined;
      if (id === undefined) throw new AppError('invalid_params', 'id must be a positive integer');
    }
    return this.users.search(
      { id, email: query.email, nick: query.nick },
      query.limit ?? ADMIN_PAGE_DEFAULT,
      query.cursor ?? null,
      operatorOf(key),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user: private fields, disabled, last login, live sessions, devices' })
  show(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() key: ServicePrincipal) {
    return this.users.show(id, operatorOf(key));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable the account: every session and stream ends; logins answer account_disabled',
  })
  async disable(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() key: ServicePrincipal) {
    await this.actions.disable(id, operatorOf(key));
    return { user: await this.users.record(id) };
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled account: it may log in again' })
  async enable(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() key: ServicePrincipal) {
    await this.actions.enable(id, operatorOf(key));
    return { user: await this.users.record(id) };
  }

  @Post(':id/sessions/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'End every session of the user (their streams close, their tokens stop working)' })
  async endSessions(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() key: ServicePrincipal) {
    return { sessions_ended: await this.actions.endSessions(id, operatorOf(key)) };
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: "Mark the account's email address confirmed" })
  async confirm(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() key: ServicePrincipal) {
    await this.actions.confirm(id, operatorOf(key));
    return { user: await this.users.record(id) };
  }

  @Post(':id/password-reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mail the user a password-reset link (one a minute)' })
  async sendPasswordReset(
    @Param('id', PositiveIntPipe) id: number,
    @CurrentServiceKey() key: ServicePrincipal,
  ) {
    await this.actions.sendPasswordReset(id, operatorOf(key));
    return {};
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete the account, as DELETE /me does (without the password)' })
  async delete(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() key: ServicePrincipal) {
    await this.actions.delete(id, operatorOf(key));
    return {};
  }
}
