import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EventBus } from '../bus/event-bus.service.js';
import { AppError } from '../common/errors.js';
import { inTransaction } from '../database/transaction.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { CredentialsService } from './credentials.service.js';
import { EmailTokensService } from './email-tokens.service.js';

/** Password reset: the mailed link, and the new password it sets. */
@Injectable()
export class PasswordResetService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly emailTokens: EmailTokensService,
    private readonly credentials: CredentialsService,
    private readonly sessions: SessionsService,
    private readonly events: EventBus,
  ) {}

  async requestPasswordReset(emailAddress: string): Promise<void> {
    const user = await this.users.findByEmail(emailAddress);
    if (!user) throw new AppError('invalid_email', 'no account has this email address');
    await this.emailTokens.claimPasswordReset(user.id);
    await inTransaction(this.dataSource, (tx) =>
      this.emailTokens.sendPasswordReset(tx.manager, user.id, user.email),
    );
  }

  /** Sets a new password from a reset link; ends every session (and so every stream). */
  async resetPassword(token: string, password: string): Promise<void> {
    // Checked and hashed before the transaction: on SQLite a transaction holds the one connection.
    const link = await this.emailTokens.live(this.dataSource.manager, token, 'password_reset');
    const passwordHash = await this.credentials.newPasswordHash(password, link.email, 'weak_password');
    await inTransaction(this.dataSource, async (tx) => {
      const row = await this.emailTokens.consume(tx.manager, token, 'password_reset');
      const user = await tx.manager.findOneBy(User, { id: row.userId });
      if (!user) throw new AppError('invalid_token');
      await this.users.update(tx.manager, user.id, {
        passwordHash,
        // The mail reached its owner, so the address is proven.
        confirmedAt: user.confirmedAt ?? row.usedAt,
      });
      await this.emailTokens.consumeAll(tx.manager, user.id, 'password_reset');
      // Whoever had the password may have opened streams: they close with their sessions.
      await this.sessions.endAll(tx, user.id, null);
      tx.afterCommit(() => this.events.emit('auth.password_changed', { userId: user.id, via: 'reset' }));
    });
  }
}
