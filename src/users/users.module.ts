import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './user.entity.js';
import { UserDirectoryService } from './user-directory.service.js';
import { UsersController } from './users.controller.js';
import { UserRecordsService } from './user-records.service.js';
import { UsersService } from './users.service.js';

// Owns the users table (the shared data layer), the two record views, own and public, and
// other people's records: GET /users/:id, GET /users?ids= and the nick search.
// Feature modules change users through UsersService and answer with UserRecordsService;
// presence and blocking plug their views in at start-up (see view-sources.ts).
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [UsersController],
  providers: [UsersService, UserRecordsService, UserDirectoryService],
  exports: [UsersService, UserRecordsService, UserDirectoryService],
})
export class UsersModule {}
