import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { EventBus } from '../bus/event-bus.service.js';
import { type DomainEvents } from '../bus/domain-events.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { afterCommit, inTransaction } from '../database/transaction.js';
import { type AccessToken, SessionsService } from '../sessions/sessions.service.js';
import { type Session } from '../sessions/session.entity.js';
import { type OwnRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { type User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { type SecondFactorGate } from './second-factor.js';

/** What every login answers: the own record with the session's auth token, and an access token. */
export interface LoginResult extends AccessToken {
  user: OwnRecord;
}

/** How a session was opened (the `method` of `auth.logged_in`). */
export type LoginMethod = DomainEvents['auth.logged_in']['method'];

/** A session just opened, with the auth token that only its owner is ever shown. */
export interface OpenedSession {
  session: Session;
  authToken: string;
}

/**
 * The end of every way in: opens the session and answers the login. A door (password, second
 * factor, passkey, QR, any new one) proves who the user is, then calls `complete` (or, inside its
 * own transaction, `openSession` and then `answer`).
 */
@Injectable()
export class LoginService implements OnApplicationBootstrap {
  private secondFactor: SecondFactorGate | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly sessions: SessionsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /** Registered at start-up by the module that owns second factors. */
  useSecondFactor(gate: SecondFactorGate): void {
    this.secondFactor = gate;
  }

  onApplicationBootstrap(): void {
    if (!this.secondFactor) throw new Error('no second-factor gate is registered for logins');
  }

  /**
   * For a door that proved one factor (a password, a provider's sign-in): with a second factor on,
   * throws `401 mfa_required` with the `mfa_token` of the second step (`POST /auth/login/mfa`).
   */
  async askSecondFactor(user: User, client: ClientInfo): Promise<void> {
    const mfaToken = await (this.secondFactor as SecondFactorGate).challenge(user, client);
    if (mfaToken !== null) throw new AppError('mfa_required', undefined, { fields: { mfa_token: mfaToken } });
  }

  /**
   * For a door that proved one factor and was sent a second-factor code with it: with a second
   * factor on, the login that code opens (else `invalid_mfa_code`); null when none is on and the
   * first factor is enough.
   */
  withSecondFactorCode(user: User, code: string, client: ClientInfo): Promise<LoginResult | null> {
    return (this.secondFactor as SecondFactorGate).completeWithCode(user, code, client);
  }

  /** Opens a session for a user a door has proven, and answers the login. */
  async complete(user: User, method: LoginMethod, client: ClientInfo): Promise<LoginResult> {
    const opened = await inTransaction(this.dataSource, (tx) =>
      this.openSession(tx.manager, user, client, method),
    );
    return this.answer(user, opened);
  }

  /**
   * Opens a session in the caller's transaction (a door that uses something up in the same
   * commit); its creation and the login are announced once that commits.
   */
  async openSession(
    manager: EntityManager,
    user: User,
    client: ClientInfo,
    method: LoginMethod,
  ): Promise<OpenedSession> {
    await this.users.recordLogin(manager, user.id); // account_disabled, race-free against a disabling
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

  /** The login answer for a session opened (or, for an auth-token login, found) for `user`. */
  async answer(
    user: User,
    opened: OpenedSession,
    emailConfirmed = user.confirmedAt !== null,
  ): Promise<LoginResult> {
    return {
      user: await this.records.own(user, opened.authToken),
      ...this.sessions.issueAccessToken(opened.session, emailConfirmed),
    };
  }

  /** A door refused a login: announced as a failed login (activity, metrics); `userId` when known. */
  refused(
    userId: number | null,
    method: DomainEvents['auth.login_failed']['method'],
    client: ClientInfo,
  ): void {
    this.events.emit('auth.login_failed', { userId, method, ...client });
  }

  /** The own record of a user who has no session yet (registration without auto_login). */
  ownRecord(user: User): Promise<OwnRecord> {
    return this.records.own(user);
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
    this.users.assertNotDisabled(user); // disabling ended the approving session: say why
    const opened = await inTransaction(this.dataSource, async (tx) => {
      if (
        approvingSessionId === null ||
        !(await this.sessions.isLive(approvingSessionId, userId, tx.manager))
      ) {
        return null;
      }
      return this.openSession(tx.manager, user, client, 'qr');
    });
    return opened && this.answer(user, opened);
  }

  async logout(userId: number, sessionId: number, deviceToken: string | null): Promise<void> {
    await this.sessions.end(userId, sessionId);
    this.events.emit('auth.logged_out', { userId, sessionId, deviceToken });
  }
}
