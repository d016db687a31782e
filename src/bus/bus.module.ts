import { Global, Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.service.js';
import { EventBus } from './event-bus.service.js';

// Owns the two buses: EventBus for typed domain events within this instance, and ClusterBus for
// messages every instance must see (Redis pub/sub when REDIS_URL is set, in process otherwise).
@Global()
@Module({ providers: [EventBus, ClusterBus], exports: [EventBus, ClusterBus] })
export class BusModule {}
