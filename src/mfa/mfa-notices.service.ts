import { Injectable } from '@nestjs/common';
import { type SecondFactorNotice } from '../bus/domain-events.js';
import { EventBus } from '../bus/event-bus.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { type Transaction } from '../database/transaction.js';
import { MailService } from '../mail/mail.service.js';
import { secondFactorMail } from '../mail/templates.js';
import { type User } from '../users/user.entity.js';

/**
 * What second-factor activity tells: the account's address by mail, and others by domain events.
 * Passkeys are told here too: each one is a way into the account, as an authenticator app is.
 */
@Injectable()
export class MfaNotices {
  constructor(
    private readonly mail: MailService,
    private readonly events: EventBus,
  ) {}

  /**
   * A change to the user's two-step login or passkeys, in the caller's transaction: the mail goes
   * to the outbox with the change; `mfa.changed` (activity, push) is announced once it commits.
   */
  async changed(tx: Transaction, user: User, notice: SecondFactorNotice, client: ClientInfo): Promise<void> {
    await this.mail.enqueue(tx.manager, secondFactorMail(user.email, notice));
    tx.afterCommit(() => this.events.emit('mfa.changed', { userId: user.id, ...notice, ...client }));
  }

  /** A wrong second-factor code at login: a failed login of that user. */
  codeRefused(userId: number, client: ClientInfo): void {
    this.events.emit('auth.login_failed', { userId, method: 'second_factor', ...client });
  }
}
