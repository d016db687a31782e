import { type DynamicModule, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger as Pino } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import { AccountModule } from './account/account.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AvatarsModule } from './avatars/avatars.module.js';
import { BlockingModule } from './blocking/blocking.module.js';
import { CommonModule } from './common/common.module.js';
import { ContactsModule } from './contacts/contacts.module.js';
import { ErrorFilter } from './common/error.filter.js';
import { type AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { dataSourceOptions, openDataSource } from './database/data-source-options.js';
import { DemoModule } from './demo/demo.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { FanoutModule } from './fanout/fanout.module.js';
import { BusModule } from './bus/bus.module.js';
import { HealthModule } from './health/health.module.js';
import { flushLogs } from './logging.js';
import { MailModule } from './mail/mail.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MfaModule } from './mfa/mfa.module.js';
import { OidcModule } from './oidc/oidc.module.js';
import { Metrics } from './metrics/metrics.service.js';
import { countingQueryErrors } from './metrics/query-error-counter.js';
import { PasskeysModule } from './passkeys/passkeys.module.js';
import { PresenceModule } from './presence/presence.module.js';
import { ProfileModule } from './profile/profile.module.js';
import { QrLoginModule } from './qr-login/qr-login.module.js';
import { RedisModule } from './bus/redis.module.js';
import { RpcModule } from './rpc/rpc.module.js';
import { SseModule } from './sse/sse.module.js';
import { ServiceApiModule } from './service-api/service-api.module.js';
import { ServiceKeysModule } from './service-keys/service-keys.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule implements OnApplicationShutdown {
  /** The whole application for one validated configuration (tests start several side by side). */
  static forRoot(config: AppConfig, root?: Pino): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          inject: [Metrics],
          useFactory: (metrics: Metrics) =>
            countingQueryErrors(dataSourceOptions(config, root), metrics, root),
          dataSourceFactory: (options) => openDataSource(options as DataSourceOptions),
        }),
        ScheduleModule.forRoot(),
        CommonModule,
        MetricsModule,
        RedisModule,
        BusModule,
        UsersModule,
        MailModule,
        SessionsModule,
        ServiceKeysModule,
        AuthModule,
        MfaModule,
        PasskeysModule,
        BlockingModule,
        DevicesModule,
        AvatarsModule,
        ContactsModule,
        ProfileModule,
        SseModule,
        PresenceModule,
        FanoutModule,
        QrLoginModule,
        OidcModule,
        DemoModule,
        AccountModule,
        AdminModule,
        RpcModule,
        ServiceApiModule,
        HealthModule,
        WebhooksModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    // Runs after every module closed its streams, jobs and connections.
    new Logger('Main').log(`stopped${signal ? ` on ${signal}` : ''}`);
    await flushLogs();
  }
}
