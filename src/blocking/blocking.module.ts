import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { Block } from './block.entity.js';
import { BlockingController } from './blocking.controller.js';
import { BlockingService } from './blocking.service.js';

// Owns the blocks table. BlockingService answers "is there a block, which way" for the other
// modules and hides the blocker's presence from public records; it publishes blocked/unblocked.
@Module({
  imports: [TypeOrmModule.forFeature([Block]), UsersModule],
  controllers: [BlockingController],
  providers: [BlockingService],
  exports: [BlockingService],
})
export class BlockingModule {}
