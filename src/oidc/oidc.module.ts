import {
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnModuleInit,
  RequestMethod,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountModule } from '../account/account.module.js';
import { ExportSections } from '../account/export-sections.js';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { FormPostMiddleware } from './form-post.middleware.js';
import { Identity } from './identity.entity.js';
import { OidcClients } from './oidc-clients.js';
import { IdentitiesController, OidcController } from './oidc.controller.js';
import { OidcPending } from './oidc-pending.entity.js';
import { OidcService } from './oidc.service.js';

// Owns sign-in with OpenID providers (Apple, Google, any issuer): the web and native flows, the
// identities linked to accounts (identities) and the steps of a sign-in under way (oidc_pending).
// Logins themselves are opened by auth/, as every login is.
@Module({
  imports: [TypeOrmModule.forFeature([Identity, OidcPending]), UsersModule, AuthModule, AccountModule],
  controllers: [OidcController, IdentitiesController],
  providers: [OidcService, OidcClients],
  exports: [OidcService],
})
export class OidcModule implements NestModule, OnModuleInit {
  constructor(
    private readonly sections: ExportSections,
    private readonly oidc: OidcService,
  ) {}

  /** The export lists the identities that sign in to the account. */
  onModuleInit(): void {
    this.sections.register('identities', (userId) => this.oidc.list(userId));
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(FormPostMiddleware)
      .forRoutes({ path: 'auth/oidc/:provider/callback', method: RequestMethod.POST });
  }
}
