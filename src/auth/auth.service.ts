import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { EventBus } from '../bus/event-bus.service.js';
import { afterCommit, inTransaction } from '../database/transaction.js';
import { type AccessToken, SessionsService } from '../sessions/sessions.service.js';
import { type Session } from '../sessions/session.entity.js';
import { type EmailAddress, emailKey, parseEmail } from '../users/email.js';
import { type Nick, parseNick } from '../users/nick.js';
import { type OwnRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { type RegisterDto } from './dto/auth.dto.js';
import { CredentialsService } from './credentials.service.js';
import { EmailTokensService } from './email-tokens.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';

export type Credentials = { email: string; password: string } | { authToken: string };

export interface LoginResult extends AccessToken {
  user: OwnRecord;
}

/** Registration, email confirmation, password reset, login and logout. */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly sessions: SessionsService,
    private readonly emailTokens: EmailTokensService,
    private readonly credentials: CredentialsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async register(
    input: Pick<RegisterDto, 'email' | 'password' | 'nick' | 'auto_login'>,
    client: ClientInfo,
  ): Promise<{ user: OwnRecord } | LoginResult> {
    const email = parseEmail(input.email);
    this.credentials.checkPolicy(input.password, email.email, 'registration_error');
    const nick = input.nick === undefined ? null : parseNick(input.nick);
    await this.credentials.checkEmailFree(email.key);
    // Counted once the request could succeed, so a form's typos do not use up an address's turns.
    const reservation = await this.credentials.reserveRegistration(client);
    const { user, opened } = await this.createAccount(input, email, nick, client).catch(async (error) => {
      await this.credentials.release(reservation);
      throw error;
    });
    if (!opened) return { user: await this.records.own(user) };
    return this.loginResult(user, opened, false);
  }

  private async createAccount(
    input: { password: string; auto_login?: boolean },
    email: EmailAddress,
    nick: Nick | null,
    client: ClientInfo,
  ) {
    const passwordHash = await this.credentials.newPasswordHash(
      input.password,
      email.email,
      'registration_error',
    );
    return inTransaction(this.dataSource, async (tx) => {
      const user = await this.users.create(tx.manager, {
        email,
        passwordHash,
        nick: nick?.nick ?? null,
        nickKey: nick?.key ?? null,
      });
      await this.credentials.sendConfirmation(tx, user.id, user.email);
      this.events.publish(tx, 'user.created', { userId: user.id });
      const opened = input.auto_login ? await this.openSession(tx.manager, user, client, 'password') : null;
      return { user, opened };
    });
  }

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

  async requestPasswordReset(emailAddress: string): Promise<void> {
    const user = await this.users.findByEmail(emailAddress);
    if (!user) throw new AppError('invalid_email', 'no account has this email address');
    const claim = await this.emailTokens.claimNextSend(user.id, 'password_reset');
    if ('retryAfter' in claim) {
      const next = new Date(this.clock.nowMs() + claim.retryAfter * 1000).toISOString();
      throw new AppError(
        'rate_exceeded',
        `a reset was requested less than a minute ago; next allowed at ${next}`,
        { retryAfter: claim.retryAfter },
      );
    }
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
        confirmedAt: user.confirmedAt ?? this.clock.now(),
      });
      await this.emailTokens.consumeAll(tx.manager, user.id, 'password_reset');
      // Whoever had the password may have opened streams: they close with their sessions.
      await this.sessions.endAll(tx, user.id, null);
      tx.afterCommit(() => this.events.emit('auth.password_changed', { userId: user.id, via: 'reset' }));
    });
  }

  async login(credentials: Credentials, client: ClientInfo): Promise<LoginResult> {
    if ('authToken' in credentials) {
      const found = await this.credentials.authTokenLogin(client, async () => {
        const session = await this.sessions.findByAuthToken(credentials.authToken);
        const user = session ? await this.users.findById(session.userId) : null;
        return session && user ? { session, user } : null;
      });
      if (!found) {
        this.events.emit('auth.login_failed', { userId: null, method: 'auth_token', ...client });
        throw new AppError('auth_failed', 'unknown or revoked auth_token');
      }
      const { session, user } = found;
      this.sessions.touch(session.id);
      this.events.emit('auth.logged_in', {
        userId: user.id,
        sessionId: session.id,
        method: 'auth_token',
        ...client,
      });
      return this.loginResult(user, { session, authToken: credentials.authToken });
    }

    const user = await this.credentials.passwordLogin(credentials.email, credentials.password, client);
    if (!user) {
      const known = await this.users.findByEmail(credentials.email);
      this.events.emit('auth.login_failed', { userId: known?.id ?? null, method: 'password', ...client });
      throw new AppError('auth_failed');
    }
    const opened = await inTransaction(this.dataSource, (tx) =>
      this.openSession(tx.manager, user, client, 'password'),
    );
    return this.loginResult(user, opened);
  }

  /** POST /tokens: an access token for a password (a new session) or for an auth token (its session). */
  async issueToken(credentials: Credentials, client: ClientInfo): Promise<AccessToken> {
    const { user: _user, ...token } = await this.login(credentials, client);
    return token;
  }

  /**
   * Opens a session for a user proven by another of their sessions (a QR login approved from a
   * logged-in phone), provided that session is still live; null when it has ended.
   */
  async openSessionApprovedBy(
    userId: number,
    approvingSessionId: number | null,
    client: ClientInfo,
  ): Promise<LoginResult | null> {
    const user = await this.users.getById(userId);
    const opened = await inTransaction(this.dataSource, async (tx) => {
      if (
        approvingSessionId === null ||
        !(await this.sessions.isLive(approvingSessionId, userId, tx.manager))
      ) {
        return null;
      }
      return this.openSession(tx.manager, user, client, 'qr');
    });
    return opened && this.loginResult(user, opened);
  }

  async logout(userId: number, sessionId: number, deviceToken: string | null): Promise<void> {
    await this.sessions.end(userId, sessionId);
    this.events.emit('auth.logged_out', { userId, sessionId, deviceToken });
  }

  /**
   * Checks the user's own password outside login (account deletion): a wrong one counts among the
   * failed password checks of that email and address, and is `invalid_password`.
   */
  async checkCurrentPassword(userId: number, password: string, client: ClientInfo): Promise<void> {
    const user = await this.users.getById(userId);
    await this.credentials
      .checkCurrentPassword(user, password, client, 'current_password is needed')
      .catch((error) => {
        this.events.emit('auth.login_failed', { userId, method: 'current_password', ...client });
        throw error;
      });
  }

  /**
   * Opens a session in the caller's transaction; its creation and the login are announced once
   * that commits.
   */
  private async openSession(
    manager: EntityManager,
    user: User,
    client: ClientInfo,
    method: 'password' | 'qr',
  ): Promise<{ session: Session; authToken: string }> {
    const opened = await this.sessions.create(manager, { userId: user.id, ...client });
    const sessionId = opened.session.id;
    afterCommit(manager, () => {
      this.events.emit('auth.session_created', {
        userId: user.id,
        sessionId,
        ...client,
        at: this.clock.now(),
      });
      this.events.emit('auth.logged_in', { userId: user.id, sessionId, method, ...client });
    });
    return opened;
  }

  /** What every login answers: the own record with the session's auth token, and an access token. */
  private async loginResult(
    user: User,
    opened: { session: Session; authToken: string },
    emailConfirmed = user.confirmedAt !== null,
  ): Promise<LoginResult> {
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, emailConfirmed),
    };
  }
}
