import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UserIdDto } from '../common/user-id.dto.js';
import { type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { ContactsService } from './contacts.service.js';

@ApiTags('profile')
@ApiBearerAuth()
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @ApiOperation({ summary: 'My contacts with is_friend (friends: both added each other)' })
  async list(@CurrentUser() user: AuthUser) {
    return { users: await this.contacts.list(user.userId) };
  }

  @Get('added-me')
  @ApiOperation({ summary: 'People who added me and whom I have not added back (to add them back)' })
  async addedMe(@CurrentUser() user: AuthUser) {
    return { users: await this.contacts.addedMe(user.userId) };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a contact (idempotent); 403 blocked when they blocked me' })
  async add(@CurrentUser() user: AuthUser, @Body() dto: UserIdDto) {
    return { user: await this.contacts.add(user.userId, dto.user_id) };
  }

  @Delete(':user_id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a contact' })
  async remove(@CurrentUser() user: AuthUser, @Param('user_id', PositiveIntPipe) contactId: number) {
    await this.contacts.remove(user.userId, contactId);
    return {};
  }
}
