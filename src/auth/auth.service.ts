import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.js';
import { EventBus } from '../bus/event-bus.service.js';
import { type AccessToken, SessionsService } from '../sessions/sessions.service.js';
import { SseCodesService } from '../sse/sse-codes.service.js';
import { emailKey, parseEmail } from '../users/email.js';
import { parseNick } from '../users/nick.js';
import { type OwnRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { EmailTokensService } from './email-tokens.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { passwordProblem } from './password-policy.js';

/** Where a request came from, recorded on the session it opens. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export type Credentials = { email: string; password: string } | { authToken: string };

export interface LoginResult extends AccessToken {
  user: OwnRecord;
}

// Failed logins: 5 per email or 30 per address in 15 minutes.
const LOGIN_WINDOW_SECONDS = 15 * 60;
const LOGIN_FAILURES_PER_EMAIL = 5;
const LOGIN_FAILURES_PER_IP = 30;

/** Registration, email confirmation, password reset, login and logout. */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly sessions: SessionsService,
    private readonly sseCodes: SseCodesService,
    private readonly emailTokens: EmailTokensService,
    private readonly hasher: PasswordHasher,
    private readonly limiter: RateLimiter,
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
    const passwordHash = await this.hasher.hash(input.password);

    const { user, opened } = await this.dataSource.transaction(async (manager) => {
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
    if (!opened) return { user: await this.records.own(user) };
    this.announceLogin(opened.session.userId, opened.session.id, client);
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, false),
    };
  }

  /** Confirms the address a confirmation link was sent to: the first address, or a new one. */
  async confirmEmail(token: string): Promise<void> {
    const confirmedUserId = await this.dataSource.transaction(async (manager) => {
      const row = await this.emailTokens.consume(manager, token, 'confirm_email');
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
        return user.id;
      }
      if (emailKey(user.email) !== emailKey(row.email)) {
        throw new AppError('invalid_token', 'this link confirms an address the account no longer uses');
      }
      if (user.confirmedAt === null) await this.users.update(manager, user.id, { confirmedAt: now });
      return user.id;
    });
    this.events.emit('user.updated', { userId: confirmedUserId });
  }

  /** Sends the confirmation link again: to the unconfirmed address, or to the pending new one. */
  async resendConfirmation(emailAddress: string): Promise<void> {
    const user = await this.users.findByEmail(emailAddress);
    if (!user) return; // Nothing to send; answering the same as for a real account tells nothing.
    const target = user.confirmedAt === null ? user.email : user.pendingEmail;
    if (target === null) return;
    const wait = await this.emailTokens.claimNextSend(user.id, 'confirm_email');
    if (wait > 0) {
      throw new AppError(
        'please_wait',
        `a confirmation was sent less than a minute ago; try again in ${wait} s`,
        {
          retryAfter: wait,
        },
      );
    }
    await this.dataSource.transaction((manager) =>
      this.emailTokens.sendConfirmation(manager, user.id, target),
    );
  }

  async requestPasswordReset(emailAddress: string): Promise<void> {
    const user = await this.users.findByEmail(emailAddress);
    if (!user) throw new AppError('invalid_email', 'no account has this email address');
    const wait = await this.emailTokens.claimNextSend(user.id, 'password_reset');
    if (wait > 0) {
      const next = new Date(this.clock.nowMs() + wait * 1000).toISOString();
      throw new AppError(
        'rate_exceeded',
        `a reset was requested less than a minute ago; next allowed at ${next}`,
        {
          retryAfter: wait,
        },
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
    await this.sessions.announce(ended);
    // Whoever had the password may have opened streams: they close with the old code.
    await this.sseCodes.revoke(userId);
    this.events.emit('auth.password_changed', { userId, via: 'reset' });
  }

  async login(credentials: Credentials, client: ClientInfo): Promise<LoginResult> {
    if ('authToken' in credentials) {
      await this.checkLimit([this.ipKey(client)]);
      const session = await this.sessions.findByAuthToken(credentials.authToken);
      const user = session ? await this.users.findById(session.userId) : null;
      if (!session || !user) {
        await this.recordFailure([this.ipKey(client)]);
        throw new AppError('auth_failed', 'unknown or revoked auth_token');
      }
      this.sessions.touch(session.id);
      return {
        user: await this.records.own(user, credentials.authToken),
        ...this.sessions.issueAccessToken(session, user.confirmedAt !== null),
      };
    }

    const user = await this.verifyPassword(credentials.email, credentials.password, client);
    const opened = await this.dataSource.transaction((manager) =>
      this.sessions.create(manager, { userId: user.id, ...client }),
    );
    this.announceLogin(user.id, opened.session.id, client);
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

  /** Opens a session for a user proven some other way (QR login approved from a logged-in phone). */
  async openSession(userId: number, client: ClientInfo): Promise<LoginResult> {
    const user = await this.users.getById(userId);
    const opened = await this.dataSource.transaction((manager) =>
      this.sessions.create(manager, { userId, ...client }),
    );
    this.announceLogin(userId, opened.session.id, client);
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, user.confirmedAt !== null),
    };
  }

  async logout(userId: number, sessionId: number, deviceToken: string | null): Promise<void> {
    await this.sessions.end(userId, sessionId);
    this.events.emit('auth.logged_out', { userId, sessionId, deviceToken });
  }

  private async verifyPassword(email: string, password: string, client: ClientInfo): Promise<User> {
    const keys = [`login:email:${emailKey(email)}`, this.ipKey(client)];
    await this.checkLimit(keys);
    const user = await this.users.findByEmail(email);
    const hash = user ? await this.users.passwordHash(user.id) : null;
    const valid = await this.hasher.verify(hash, password);
    if (!user || !valid) {
      await this.recordFailure(keys);
      throw new AppError('auth_failed');
    }
    await this.limiter.reset(keys[0]);
    return user;
  }

  private ipKey(client: ClientInfo): string {
    return `login:ip:${client.ip ?? 'unknown'}`;
  }

  private async checkLimit(keys: string[]): Promise<void> {
    for (const key of keys) {
      const limit = key.startsWith('login:email:') ? LOGIN_FAILURES_PER_EMAIL : LOGIN_FAILURES_PER_IP;
      const window = await this.limiter.peek(key);
      if (window.count >= limit) {
        throw new AppError('please_wait', `too many failed logins; try again in ${window.retryAfter} s`, {
          retryAfter: Math.max(window.retryAfter, 1),
        });
      }
    }
  }

  private async recordFailure(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.limiter.hit(key, LOGIN_WINDOW_SECONDS)));
  }

  private announceLogin(userId: number, sessionId: number, client: ClientInfo): void {
    this.events.emit('auth.session_created', { userId, sessionId, ...client, at: this.clock.now() });
  }
}
