import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RequestBodyGuard } from './request-body.guard.js';
import { Clock } from './clock.service.js';
import { RateLimiter } from './rate-limiter.service.js';

// Owns what every module shares and tests replace: the clock and the rate-limit counters; and
// the guard that checks every request body before validation.
@Global()
@Module({
  providers: [Clock, RateLimiter, { provide: APP_GUARD, useClass: RequestBodyGuard }],
  exports: [Clock, RateLimiter],
})
export class CommonModule {}
