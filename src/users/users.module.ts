import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './user.entity.js';
import { UserRecordsService } from './user-records.service.js';
import { UsersService } from './users.service.js';

// Owns the users table (the shared data layer) and the two record views, own and public.
// Feature modules change users through UsersService and answer with UserRecordsService;
// presence and blocking plug their views in at start-up (see view-sources.ts).
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UsersService, UserRecordsService],
  exports: [UsersService, UserRecordsService],
})
export class UsersModule {}
