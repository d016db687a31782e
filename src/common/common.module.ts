import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BodylessRoutesGuard } from './bodyless-routes.guard.js';
import { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';

// Owns what every module shares and tests replace: the clock and the rate-limit counters; and
// the guard that refuses a body on routes that take none.
@Global()
@Module({
  providers: [Clock, RateLimiter, { provide: APP_GUARD, useClass: BodylessRoutesGuard }],
  exports: [Clock, RateLimiter],
})
export class CommonModule {}
