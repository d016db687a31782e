import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { Block } from './block.entity.js';
import { BlockingController } from './blocking.controller.js';
import { BlockingService } from './blocking.service.js';

// Owns the blocks table and /blocks. BlockingService answers "is there a block, which way" for one
// pair or a whole recipient list, plugs into the public record view (the blocker looks offline to
// the blocked user) and publishes 'blocking.blocked' / 'blocking.unblocked' for the others to react.
@Module({
  imports: [TypeOrmModule.forFeature([Block]), UsersModule],
  controllers: [BlockingController],
  providers: [BlockingService],
  exports: [BlockingService],
})
export class BlockingModule {}
