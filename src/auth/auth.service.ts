import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { EventBus } from '../bus/event-bus.service.js';
import { type AccessToken, SessionsService } from '../sessions/sessions.service.js';
import { type EmailAddress, emailKey, parseEmail } from '../users/email.js';
import { type Nick, parseNick } from '../users/nick.js';
import { type OwnRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { EmailTokensService } from './email-tokens.service.js';
import { type ClientInfo, PasswordChecks } from './password-checks.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { passwordProblem } from './password-policy.js';

export type { ClientInfo } from './password-checks.service.js';

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
    private readonly hasher: PasswordHasher,
    private readonly passwords: PasswordChecks,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async register(
    input: { email: string; password: string; nick?: string; autoLogin?: boolean },
    client: ClientInfo,
  ): Promise<{ user: OwnRecord } | LoginResult> {
    const email = parseEmail(input.email);
    const problem = passwordProblem(input.password, email.email);
    if (problem) throw new AppError('registration_error', problem);
    const nick = input.nick === undefined ? null : parseNick(input.nick);
    if (await this.users.findByEmail(email.key)) {
      throw new AppError('invalid_email', 'email address is already taken', { status: 409 });
    }
    // Counted once the request could succeed, so a form's typos do not use up an address's turns.
    const reservation = await this.limiter.take(
      [
        {
          key: `register:ip:${client.ip ?? 'unknown'}`,
          max: this.config.registrationsPerHour,
          windowSeconds: 3600,
        },
      ],
      'too many registrations from this address',
    );
    const { user, opened } = await this.createAccount(input, email, nick, client).catch(async (error) => {
      await this.limiter.release(reservation);
      throw error;
    });
    if (!opened) return { user: await this.records.own(user) };
    this.announceLogin(opened.session.userId, opened.session.id, client, 'password');
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, false),
    };
  }

  private async createAccount(
    input: { password: string; autoLogin?: boolean },
    email: EmailAddress,
    nick: Nick | null,
    client: ClientInfo,
  ) {
    const passwordHash = await this.hasher.hash(input.password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.create(manager, {
        email,
        passwordHash,
        nick: nick?.nick ?? null,
        nickKey: nick?.key ?? null,
      });
      await this.emailTokens.sendConfirmation(manager, user.id, user.email);
      const opened = input.autoLogin
        ? await this.sessions.create(manager, { userId: user.id, ...client })
        : null;
      return { user, opened };
    });
  }

  /** Confirms the address a confirmation link was sent to: the first address, or a new one. */
  async confirmEmail(token: string): Promise<void> {
    const confirmed = await this.dataSource.transaction(async (manager) => {
      const row = await this.emailTokens.consume(manager, token, 'confirm_email').catch(async (error) => {
        // A link clicked again after it confirmed its address (or once the address was confirmed
        // otherwise): the address is confirmed, and that is what the person wants to hear.
        if (error instanceof AppError && (await this.confirmsConfirmedAddress(manager, token))) return null;
        throw error;
      });
      if (row === null) return null;
      const user = await manager.findOneBy(User, { id: row.userId });
      if (!user) throw new AppError('invalid_token');
      const now = this.clock.now();
      if (user.pendingEmail !== null && emailKey(user.pendingEmail) === emailKey(row.email)) {
        await this.users.update(manager, user.id, {
          email: user.pendingEmail,
          emailKey: emailKey(user.pendingEmail),
          pendingEmail: null,
          confirmedAt: user.confirmedAt ?? now,
        });
        return { userId: user.id, email: user.pendingEmail, changed: true, first: false };
      }
      if (emailKey(user.email) !== emailKey(row.email)) {
        throw new AppError('invalid_token', 'this link confirms an address the account no longer uses');
      }
      if (user.confirmedAt === null) await this.users.update(manager, user.id, { confirmedAt: now });
      return { userId: user.id, email: user.email, changed: false, first: user.confirmedAt === null };
    });
    if (confirmed === null) return;
    await this.emailTokens.confirmationArrived(confirmed.userId);
    this.events.emit('user.updated', { userId: confirmed.userId });
    if (confirmed.changed || confirmed.first) {
      const { userId, email, changed } = confirmed;
      this.events.emit('auth.email_confirmed', { userId, email, changed });
    }
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
    await this.emailTokens.claimConfirmation(user.id);
    await this.dataSource.transaction((manager) =>
      this.emailTokens.sendConfirmation(manager, user.id, target),
    );
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
    await this.dataSource.transaction((manager) =>
      this.emailTokens.sendPasswordReset(manager, user.id, user.email),
    );
  }

  /** Sets a new password from a reset link; ends every session (and so every stream). */
  async resetPassword(token: string, password: string): Promise<void> {
    // Checked and hashed before the transaction: on SQLite a transaction holds the one connection.
    const link = await this.emailTokens.live(this.dataSource.manager, token, 'password_reset');
    const problem = passwordProblem(password, link.email);
    if (problem) throw new AppError('weak_password', problem);
    const passwordHash = await this.hasher.hash(password);
    const { userId, ended } = await this.dataSource.transaction(async (manager) => {
      const row = await this.emailTokens.consume(manager, token, 'password_reset');
      const user = await manager.findOneBy(User, { id: row.userId });
      if (!user) throw new AppError('invalid_token');
      await this.users.update(manager, user.id, {
        passwordHash,
        // The mail reached its owner, so the address is proven.
        confirmedAt: user.confirmedAt ?? this.clock.now(),
      });
      await this.emailTokens.consumeAll(manager, user.id, 'password_reset');
      const ended = await this.sessions.endAll(user.id, null, manager);
      return { userId: user.id, ended };
    });
    // Whoever had the password may have opened streams: they close with their sessions.
    await this.sessions.announce(ended);
    this.events.emit('auth.password_changed', { userId, via: 'reset' });
  }

  async login(credentials: Credentials, client: ClientInfo): Promise<LoginResult> {
    if ('authToken' in credentials) {
      const found = await this.passwords.authToken(client, async () => {
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
      return {
        user: await this.records.own(user, credentials.authToken),
        ...this.sessions.issueAccessToken(session, user.confirmedAt !== null),
      };
    }

    const user = await this.passwords.login(credentials.email, credentials.password, client);
    if (!user) {
      const known = await this.users.findByEmail(credentials.email);
      this.events.emit('auth.login_failed', { userId: known?.id ?? null, method: 'password', ...client });
      throw new AppError('auth_failed');
    }
    const opened = await this.dataSource.transaction((manager) =>
      this.sessions.create(manager, { userId: user.id, ...client }),
    );
    this.announceLogin(user.id, opened.session.id, client, 'password');
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, user.confirmedAt !== null),
    };
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
    const opened = await this.dataSource.transaction(async (manager) => {
      if (approvingSessionId === null || !(await this.sessions.isLive(approvingSessionId, userId, manager))) {
        return null;
      }
      return this.sessions.create(manager, { userId, ...client });
    });
    if (!opened) return null;
    this.announceLogin(userId, opened.session.id, client, 'qr');
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, user.confirmedAt !== null),
    };
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
    if (!(await this.passwords.isCurrentPassword(user, password, client))) {
      this.events.emit('auth.login_failed', { userId, method: 'current_password', ...client });
      throw new AppError('invalid_password');
    }
  }

  private announceLogin(
    userId: number,
    sessionId: number,
    client: ClientInfo,
    method: 'password' | 'qr',
  ): void {
    this.events.emit('auth.session_created', { userId, sessionId, ...client, at: this.clock.now() });
    this.events.emit('auth.logged_in', { userId, sessionId, method, ...client });
  }
}
