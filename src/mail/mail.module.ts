import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailService } from './mail.service.js';
import { OutboxMail } from './outbox-mail.entity.js';

// Owns the mail outbox table and its delivery: files under DATA_DIR/mail by default, SMTP when
// SMTP_URL is set. Other modules call MailService.enqueue inside their transactions.
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMail])],
  providers: [MailService],
  exports: [MailService],
})
export class MailModule {}
