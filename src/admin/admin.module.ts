import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminActionsService } from './admin-actions.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

// Owns the operators' view of users (/admin/users, scope `admin`, and the CLI's `users` commands):
// search, one user with sessions and devices, disable/enable, end sessions, delete, confirm, reset
// mail. No table of its own: it acts through the features' services and records who did it.
@Module({
  imports: [UsersModule, SessionsModule, DevicesModule, AccountModule, AuthModule],
  controllers: [AdminUsersController],
  providers: [AdminUsersService, AdminActionsService],
  exports: [AdminUsersService, AdminActionsService],
})
export class AdminModule {}
