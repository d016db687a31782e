import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvatarImage } from './avatar.entity.js';
import { AvatarsController } from './avatars.controller.js';
import { AvatarsService } from './avatars.service.js';

// Owns the avatar images (full and small, WebP) and GET /avatars/:key: decoding, resizing,
// fetching https:// URLs, and serving with immutable caching. The profile sets them.
@Module({
  imports: [TypeOrmModule.forFeature([AvatarImage])],
  controllers: [AvatarsController],
  providers: [AvatarsService],
  exports: [AvatarsService],
})
export class AvatarsModule {}
