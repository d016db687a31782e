import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';

// Owns what every module shares and tests replace: the clock and the rate-limit counters.
@Global()
@Module({ providers: [Clock, RateLimiter], exports: [Clock, RateLimiter] })
export class CommonModule {}
