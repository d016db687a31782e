import { Inject, Injectable } from '@nestjs/common';
import { AppError, type ErrorCode } from '../common/errors.js';
import { RateLimiter, type Reservation } from '../common/rate-limiter.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type Transaction } from '../database/transaction.js';
import { MailService } from '../mail/mail.service.js';
import { emailChangingMail } from '../mail/templates.js';
import { emailTakenError } from '../users/email.js';
import { type User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { EmailTokensService } from './email-tokens.service.js';
import type { ClientInfo } from '../common/client-info.decorator.js';
import { PasswordChecks } from './password-checks.service.js';
import { PasswordRules } from './password-rules.service.js';

/**
 * The rules about a user's credentials, for every module that touches them: checking a password
 * (counted among the failed checks), the password policy and hashing, one account per address,
 * and starting the confirmation of an address (token and mail, one a minute).
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly users: UsersService,
    private readonly rules: PasswordRules,
    private readonly passwords: PasswordChecks,
    private readonly emailTokens: EmailTokensService,
    private readonly mail: MailService,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The account of `email` when `password` is its password; null otherwise (also for no account). */
  passwordLogin(email: string, password: string, client: ClientInfo): Promise<User | null> {
    return this.passwords.login(email, password, client);
  }

  /** A login passed every step (password and any second factor): its earlier failures are forgotten. */
  loginCompleted(user: User, client: ClientInfo): Promise<void> {
    return this.passwords.loginCompleted(user, client);
  }

  /**
   * A second-factor code, counted among the failed password checks of the user's email and the
   * client's address: `check` answers a value when the code is right, null when it is wrong.
   */
  secondStep<T>(user: User, client: ClientInfo, check: () => Promise<T | null>): Promise<T | null> {
    return this.passwords.secondStep(user, client, check);
  }

  /**
   * A login that names no account up front (a passkey), counted among the failed logins of the
   * client's address: `check` answers a value when it succeeds, null when it fails.
   */
  addressCounted<T>(client: ClientInfo, check: () => Promise<T | null>): Promise<T | null> {
    return this.passwords.authToken(client, check);
  }

  /** A login by auth token, counted among the failures of its address: `find` answers its session. */
  authTokenLogin<T>(client: ClientInfo, find: () => Promise<T | null>): Promise<T | null> {
    return this.passwords.authToken(client, find);
  }

  /**
   * That `given` is the user's own password, else `invalid_password` (saying `missing` when none was
   * given); a wrong one counts among the failed password checks of that email and address.
   */
  async checkCurrentPassword(
    user: User,
    given: string | null | undefined,
    client: ClientInfo,
    missing: string,
  ): Promise<void> {
    if (given == null) throw new AppError('invalid_password', missing);
    if (!(await this.passwords.isCurrentPassword(user, given, client)))
      throw new AppError('invalid_password');
  }

  /**
   * That `password` may be the password of the account of `email` (the policy, common and
   * breached passwords), else `code` saying why.
   */
  checkPolicy(password: string, email: string, code: ErrorCode): Promise<void> {
    return this.rules.check(password, email, code);
  }

  /** The hash to store for a password `checkPolicy` has just accepted. */
  hashCheckedPassword(password: string): Promise<string> {
    return this.rules.hash(password);
  }

  /** The hash to store for a new password, once it passed the rules for `email` (else `code`). */
  newPasswordHash(password: string, email: string, code: ErrorCode): Promise<string> {
    return this.rules.newHash(password, email, code);
  }

  /** That no account has this address (folded), else `409 invalid_email`. */
  async checkEmailFree(emailKey: string): Promise<void> {
    if (await this.users.findByEmail(emailKey)) throw emailTakenError();
  }

  /** A registration's place in the limit of its network address; `release` it when it fails. */
  reserveRegistration(client: ClientInfo): Promise<Reservation> {
    return this.limiter.take(
      [
        {
          key: `register:ip:${client.ip ?? 'unknown'}`,
          max: this.config.registrationsPerHour,
          windowSeconds: 3600,
        },
      ],
      'too many registrations from this address',
    );
  }

  release(reservation: Reservation): Promise<void> {
    return this.limiter.release(reservation);
  }

  /** The turn to mail the user a confirmation link, else `please_wait`; `release` it if no mail goes. */
  claimConfirmation(userId: number): Promise<Reservation> {
    return this.emailTokens.claimConfirmation(userId);
  }

  /** Creates a confirmation token for `email` and queues its mail, in the caller's transaction. */
  sendConfirmation(tx: Transaction, userId: number, email: string): Promise<void> {
    return this.emailTokens.sendConfirmation(tx.manager, userId, email);
  }

  /**
   * Starts moving the account to `newEmail`, in the caller's transaction: the link goes to the new
   * address, and a word of warning to the address in force.
   */
  async startEmailChange(tx: Transaction, user: User, newEmail: string): Promise<void> {
    await this.sendConfirmation(tx, user.id, newEmail);
    await this.mail.enqueue(tx.manager, emailChangingMail(user.email, newEmail));
  }
}
