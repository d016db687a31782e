import { Module } from '@nestjs/common';
import { BlockingModule } from '../blocking/blocking.module.js';
import { ContactsModule } from '../contacts/contacts.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { ServiceApiController } from './service-api.controller.js';
import { ServiceApiService } from './service-api.service.js';

// Owns no table: the /service routes other backends call with a service key (introspection of
// access tokens, who may write to whom, users by id), answered from the exported services of
// sessions, blocking, contacts and users.
@Module({
  imports: [SessionsModule, UsersModule, BlockingModule, ContactsModule],
  controllers: [ServiceApiController],
  providers: [ServiceApiService],
})
export class ServiceApiModule {}
