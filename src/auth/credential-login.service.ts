import { Injectable } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { type AccessToken, SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { CredentialsService } from './credentials.service.js';
import { LoginService, type LoginResult } from './login.service.js';

/** A login's credentials; `code` is the second factor's, sent with the password in one request. */
export type Credentials = { email: string; password: string; code?: string } | { authToken: string };

/** How recent a session must be to stand in for the password of an account that has none. */
const FRESH_LOGIN_MS = 5 * 60_000;

/**
 * The doors that take credentials: `POST /auth/login`, `POST /tokens` and RPC `login`, by email and
 * password (then the second factor when one is on) or by auth token; and `current_password`
 * checks outside login.
 */
@Injectable()
export class CredentialLoginService {
  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly sessions: SessionsService,
    private readonly logins: LoginService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async login(credentials: Credentials, client: ClientInfo): Promise<LoginResult> {
    if ('authToken' in credentials) return this.authTokenLogin(credentials.authToken, client);

    const user = await this.credentials.passwordLogin(credentials.email, credentials.password, client);
    if (!user) {
      const known = await this.users.findByEmail(credentials.email);
      this.events.emit('auth.login_failed', { userId: known?.id ?? null, method: 'password', ...client });
      throw new AppError('auth_failed');
    }
    // With a second factor on, the failures of this email stay counted until it is passed too:
    // by the code sent with the password, or else in a second step.
    if (credentials.code !== undefined) {
      const passed = await this.logins.withSecondFactorCode(user, credentials.code, client);
      if (passed) return passed;
    } else {
      await this.logins.askSecondFactor(user, client);
    }
    await this.credentials.loginCompleted(user, client);
    return this.logins.complete(user, 'password', client);
  }

  /** POST /tokens: an access token for a password (a new session) or for an auth token (its session). */
  async issueToken(credentials: Credentials, client: ClientInfo): Promise<AccessToken> {
    const { user: _user, ...token } = await this.login(credentials, client);
    return token;
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
   * That the caller is the account's owner, before a grave change (deleting the account, setting
   * two-step login up): its password, checked as `checkCurrentPassword` does; or, for an account
   * without one (made by a provider's sign-in), a session opened in the last five minutes, else
   * `401 unauthorized` saying so. `what` names the change in that answer.
   */
  async confirmOwner(
    userId: number,
    sessionId: number,
    password: string | undefined,
    client: ClientInfo,
    what: string,
  ): Promise<void> {
    if ((await this.users.passwordHash(userId)) !== null) {
      if (password === undefined)
        throw new AppError('invalid_password', `current_password is needed to ${what}`);
      await this.checkCurrentPassword(userId, password, client);
      return;
    }
    const current = (await this.sessions.list(userId, sessionId)).find((session) => session.current);
    if (!current || this.clock.nowMs() - Date.parse(current.created_at) > FRESH_LOGIN_MS) {
      throw new AppError('unauthorized', `log in again (within 5 minutes) to ${what}`);
    }
  }

  private async authTokenLogin(authToken: string, client: ClientInfo): Promise<LoginResult> {
    const found = await this.credentials.authTokenLogin(client, async () => {
      // Ended sessions too: disabling ends them all, and their owner is told why (account_disabled).
      const session = await this.sessions.findByAuthToken(authToken, { evenEnded: true });
      const user = session ? await this.users.findById(session.userId) : null;
      if (user) this.users.assertNotDisabled(user);
      return session?.revokedAt === null && user ? { session, user } : null;
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
    return this.logins.answer(user, { session, authToken });
  }
}
