import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountService } from '../account/account.service.js';
import { ActivityService } from '../account/activity.service.js';
import { PasswordResetService } from '../auth/password-reset.service.js';
import { type DomainEventName, type DomainEvents } from '../bus/domain-events.js';
import { EventBus } from '../bus/event-bus.service.js';
import { Clock } from '../common/clock.service.js';
import { inTransaction, type Transaction } from '../database/transaction.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { type Operator } from '../service-keys/operator.js';
import { type AdminAction, actionDetails } from './operator.js';

/**
 * What an operator does to an account: disable and enable it, end its sessions, delete it, mark
 * its address confirmed, mail it a password reset. Each change is written with an `admin_action`
 * event in the user's activity (and so an audit line naming the key) in one transaction.
 */
@Injectable()
export class AdminActionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly account: AccountService,
    private readonly passwordReset: PasswordResetService,
    private readonly activity: ActivityService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /**
   * Disables the account: every session ends (their access tokens are refused and their streams
   * close, on every instance) and every way in answers `account_disabled` until it is enabled.
   * Nothing is removed.
   */
  async disable(userId: number, operator: Operator): Promise<void> {
    await this.users.getById(userId);
    await this.act(userId, 'disable', operator, async (tx) => {
      // The user's row first: a login in progress waits for this commit and then sees it.
      const changed = await this.users.setDisabled(tx.manager, userId, true);
      await this.endSessionsIn(tx, userId);
      if (changed) this.announce(tx, 'user.disabled', { userId });
    });
  }

  /** Enables a disabled account: it may log in again (its ended sessions stay ended). */
  async enable(userId: number, operator: Operator): Promise<void> {
    await this.users.getById(userId);
    await this.act(userId, 'enable', operator, async (tx) => {
      if (await this.users.setDisabled(tx.manager, userId, false)) {
        this.announce(tx, 'user.enabled', { userId });
      }
    });
  }

  /** Ends every session of the user (as a password reset does); how many were live. */
  async endSessions(userId: number, operator: Operator): Promise<number> {
    await this.users.getById(userId);
    return this.act(userId, 'end_sessions', operator, (tx) => this.endSessionsIn(tx, userId));
  }

  /** Deletes the account as DELETE /me does: everything of it goes, its friends hear `user_deleted`. */
  async delete(userId: number, operator: Operator): Promise<void> {
    await this.account.deleteByOperator(userId, {
      type: 'admin_action',
      details: actionDetails('delete', operator),
    });
  }

  /** Marks the account's address confirmed, as its confirmation link would (a pending new address stays pending). */
  async confirm(userId: number, operator: Operator): Promise<void> {
    const user = await this.users.getById(userId);
    await this.act(userId, 'confirm', operator, async (tx) => {
      if (user.confirmedAt !== null) return;
      await this.users.update(tx.manager, userId, { confirmedAt: this.clock.now() });
      this.announce(tx, 'user.updated', { userId });
      this.announce(tx, 'auth.email_confirmed', { userId, email: user.email, changed: false });
    });
  }

  /** Mails the user a password-reset link, as POST /auth/password-reset/request does (one a minute). */
  async sendPasswordReset(userId: number, operator: Operator): Promise<void> {
    const user = await this.users.getById(userId);
    await this.passwordReset.requestPasswordReset(user.email);
    await this.activity.record({
      userId,
      type: 'admin_action',
      details: actionDetails('send_reset', operator),
    });
  }

  private async endSessionsIn(tx: Transaction, userId: number): Promise<number> {
    const ended = await this.sessions.endAll(tx, userId, null);
    if (ended.length > 0) {
      this.announce(tx, 'auth.sessions_ended', { userId, sessionIds: ended });
    }
    return ended.length;
  }

  /** Announces a change made in `tx` once it has committed. */
  /** Announced with the commit; webhooks record their deliveries in the same transaction. */
  private announce<K extends DomainEventName>(tx: Transaction, name: K, payload: DomainEvents[K]): void {
    this.events.publish(tx, name, payload);
  }

  /** Runs a change and records it in the user's activity, in one transaction. */
  private act<T>(
    userId: number,
    action: AdminAction,
    operator: Operator,
    change: (tx: Transaction) => Promise<T>,
  ): Promise<T> {
    return inTransaction(this.dataSource, async (tx) => {
      const result = await change(tx);
      await this.activity.record(
        { userId, type: 'admin_action', details: actionDetails(action, operator) },
        tx.manager,
      );
      return result;
    });
  }
}
