import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';

// Owns this instance's Redis connections (only when REDIS_URL is set): the shared client for keys
// and publishing, and subscriber connections made on demand.
@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
