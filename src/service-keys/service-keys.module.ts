import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ServiceKeyGuard } from './service-key.guard.js';
import { ServiceKey } from './service-key.entity.js';
import { ServiceKeysController } from './service-keys.controller.js';
import { ServiceKeysService } from './service-keys.service.js';

// Owns the service_keys table: keys other backends call service and admin routes with (hashed,
// scoped, revocable), and the global guard that checks them on routes marked @ServiceScope.
// /admin/service-keys (scope admin) and the CLI make, list and revoke keys through ServiceKeysService.
@Module({
  imports: [TypeOrmModule.forFeature([ServiceKey])],
  controllers: [ServiceKeysController],
  providers: [ServiceKeysService, { provide: APP_GUARD, useClass: ServiceKeyGuard }],
  exports: [ServiceKeysService],
})
export class ServiceKeysModule {}
