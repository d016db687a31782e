import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlockingModule } from '../blocking/blocking.module.js';
import { UsersModule } from '../users/users.module.js';
import { Contact } from './contact.entity.js';
import { ContactsController } from './contacts.controller.js';
import { ContactsService } from './contacts.service.js';

// Owns the contacts table and /contacts: one-way adds, friends (both ways), `contact.added`
// (at most once an hour per pair), and friendship as a source of the record views.
@Module({
  imports: [TypeOrmModule.forFeature([Contact]), UsersModule, BlockingModule],
  controllers: [ContactsController],
  providers: [ContactsService],
  exports: [ContactsService],
})
export class ContactsModule {}
