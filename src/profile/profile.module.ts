import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { BlockingModule } from '../blocking/blocking.module.js';
import { MailModule } from '../mail/mail.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AvatarImage } from '../avatars/avatar.entity.js';
import { AvatarsService } from '../avatars/avatars.service.js';
import { Contact } from '../contacts/contact.entity.js';
import { ContactsController } from '../contacts/contacts.controller.js';
import { ContactsService } from '../contacts/contacts.service.js';
import { AvatarsController, MeController, UsersController } from './profile.controller.js';
import { ProfileService } from './profile.service.js';

// Owns avatars (images) and contacts: the own record and its atomic update, public records,
// nick search, contacts and friends. User fields themselves are written through UsersService.
@Module({
  imports: [
    TypeOrmModule.forFeature([AvatarImage, Contact]),
    UsersModule,
    AuthModule,
    SessionsModule,
    MailModule,
    BlockingModule,
  ],
  controllers: [MeController, UsersController, AvatarsController, ContactsController],
  providers: [ProfileService, AvatarsService, ContactsService],
  exports: [ContactsService, ProfileService],
})
export class ProfileModule {}
