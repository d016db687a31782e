import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { BlockingModule } from '../blocking/blocking.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { MailModule } from '../mail/mail.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { AvatarsModule } from '../avatars/avatars.module.js';
import { ContactsModule } from '../contacts/contacts.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { ExportSections } from './export-sections.js';
import { ActivityRecorder } from './activity-recorder.service.js';
import { ActivityService } from './activity.service.js';
import { SecurityEvent } from './security-event.entity.js';

// Owns the user's account as a whole: GET /me/activity (the security_events table, kept 90 days,
// each event also an audit log line), GET /me/export and DELETE /me.
@Module({
  imports: [
    TypeOrmModule.forFeature([SecurityEvent]),
    UsersModule,
    AuthModule,
    SessionsModule,
    ContactsModule,
    AvatarsModule,
    BlockingModule,
    DevicesModule,
    MailModule,
    MfaModule,
    PasskeysModule,
  ],
  controllers: [AccountController],
  providers: [AccountService, ActivityService, ActivityRecorder, ExportSections],
  exports: [AccountService, ActivityService, ExportSections],
})
export class AccountModule {}
