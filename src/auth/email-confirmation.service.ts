import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { EventBus } from '../bus/event-bus.service.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { inTransaction } from '../database/transaction.js';
import { emailKey } from '../users/email.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { CredentialsService } from './credentials.service.js';
import { EmailTokensService } from './email-tokens.service.js';

/** Email confirmation: the link of the confirmation mail, and sending it again. */
@Injectable()
export class EmailConfirmationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly emailTokens: EmailTokensService,
    private readonly credentials: CredentialsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /** Confirms the address a confirmation link was sent to: the first address, or a new one. */
  async confirmEmail(token: string): Promise<void> {
    await inTransaction(this.dataSource, async (tx) => {
      const { manager } = tx;
      const row = await this.emailTokens.consume(manager, token, 'confirm_email').catch(async (error) => {
        // A link clicked again after it confirmed its address (or once the address was confirmed
        // otherwise): the address is confirmed, and that is what the person wants to hear.
        if (error instanceof AppError && (await this.confirmsConfirmedAddress(manager, token))) return null;
        throw error;
      });
      if (row === null) return;
      const user = await manager.findOneBy(User, { id: row.userId });
      if (!user) throw new AppError('invalid_token');
      const userId = user.id;
      const now = this.clock.now();
      let confirmed: { email: string; changed: boolean } | null = null;
      if (user.pendingEmail !== null && emailKey(user.pendingEmail) === emailKey(row.email)) {
        await this.users.update(manager, userId, {
          email: user.pendingEmail,
          emailKey: emailKey(user.pendingEmail),
          pendingEmail: null,
          confirmedAt: user.confirmedAt ?? now,
        });
        confirmed = { email: user.pendingEmail, changed: true };
      } else if (emailKey(user.email) !== emailKey(row.email)) {
        throw new AppError('invalid_token', 'this link confirms an address the account no longer uses');
      } else if (user.confirmedAt === null) {
        await this.users.update(manager, userId, { confirmedAt: now });
        confirmed = { email: user.email, changed: false };
      }
      tx.afterCommit(() => this.emailTokens.confirmationArrived(userId));
      this.events.publish(tx, 'user.updated', { userId });
      if (confirmed) this.events.publish(tx, 'auth.email_confirmed', { userId, ...confirmed });
    });
  }

  /** Whether a spent or expired confirmation token is for the address its user has confirmed. */
  private async confirmsConfirmedAddress(manager: EntityManager, token: string): Promise<boolean> {
    const row = await this.emailTokens.find(manager, token, 'confirm_email');
    if (!row) return false;
    const user = await manager.findOneBy(User, { id: row.userId });
    return user !== null && user.confirmedAt !== null && emailKey(user.email) === emailKey(row.email);
  }

  /** Sends the confirmation link again: to the unconfirmed address, or to the pending new one. */
  async resendConfirmation(emailAddress: string): Promise<void> {
    const user = await this.users.findByEmail(emailAddress);
    if (!user) return; // Nothing to send; answering the same as for a real account tells nothing.
    const target = user.confirmedAt === null ? user.email : user.pendingEmail;
    if (target === null) return;
    await this.credentials.claimConfirmation(user.id);
    await inTransaction(this.dataSource, (tx) => this.credentials.sendConfirmation(tx, user.id, target));
  }
}
