import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../common/client-info.decorator.js';
import { type Limit, RateLimiter } from '../common/rate-limiter.service.js';
import { User } from '../users/user.entity.js';
import { emailKey } from '../users/email.js';
import { UsersService } from '../users/users.service.js';
import { PasswordHasher } from './password-hasher.service.js';

const WINDOW_SECONDS = 15 * 60;
/** Wrong passwords for one email from one address: the guesser is stopped here... */
const FAILURES_PER_EMAIL_AND_ADDRESS = 5;
/** ...and no single address can lock the owner out, who is stopped only by many addresses at once. */
const FAILURES_PER_EMAIL = 50;
/** Failed logins (passwords and auth tokens) from one address, whatever the email. */
const FAILURES_PER_ADDRESS = 30;

/**
 * Every password check against an account (login, `POST /tokens`, `current_password` in PATCH /me
 * and update_me), every second-factor code and every auth-token login, counted in the failure
 * limits. Each check takes its place in every limit before the hash is verified, so a burst of
 * parallel guesses gets no more verifications than the limit; a right answer gives the place back.
 */
@Injectable()
export class PasswordChecks {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * The account of `email` when `password` is its password; null otherwise (also for no account).
   * A right password does not clear the earlier failures: `loginCompleted` does, once no second
   * step is pending (else second-factor codes could be guessed for ever between right passwords).
   */
  async login(email: string, password: string, client: ClientInfo): Promise<User | null> {
    const limits = this.limits(emailKey(email), client);
    return this.counted(limits, false, async () => {
      const found = await this.users.findByEmailWithPasswordHash(email);
      // Unknown addresses still cost a hash, so timing does not tell which addresses exist.
      const valid = await this.hasher.verify(found?.passwordHash ?? null, password);
      return found && valid ? found.user : null;
    });
  }

  /** A login passed every step: the failures of that email from that address are forgotten. */
  async loginCompleted(user: User, client: ClientInfo): Promise<void> {
    await this.limiter.reset(this.limits(user.emailKey, client)[0].key);
  }

  /**
   * A second-factor code of `user`, counted as a password check: `check` answers a value when the
   * code is right, null when it is wrong. A right one completes the login (failures forgotten).
   */
  async secondStep<T>(user: User, client: ClientInfo, check: () => Promise<T | null>): Promise<T | null> {
    return this.counted(this.limits(user.emailKey, client), true, check);
  }

  /** Whether `password` is the user's own (`current_password`), counted as a failed login when not. */
  async isCurrentPassword(user: User, password: string, client: ClientInfo): Promise<boolean> {
    const valid = await this.counted(this.limits(user.emailKey, client), true, async () =>
      (await this.hasher.verify(await this.users.passwordHash(user.id), password)) ? true : null,
    );
    return valid === true;
  }

  /** A login by auth token: `find` answers its session, or null when the token is unknown. */
  async authToken<T>(client: ClientInfo, find: () => Promise<T | null>): Promise<T | null> {
    return this.counted([this.addressLimit(client)], false, find);
  }

  private limits(folded: string, client: ClientInfo): Limit[] {
    return [
      {
        key: `login:email-address:${folded}:${client.ip ?? 'unknown'}`,
        max: FAILURES_PER_EMAIL_AND_ADDRESS,
        windowSeconds: WINDOW_SECONDS,
      },
      { key: `login:email:${folded}`, max: FAILURES_PER_EMAIL, windowSeconds: WINDOW_SECONDS },
      this.addressLimit(client),
    ];
  }

  private addressLimit(client: ClientInfo): Limit {
    return {
      key: `login:ip:${client.ip ?? 'unknown'}`,
      max: FAILURES_PER_ADDRESS,
      windowSeconds: WINDOW_SECONDS,
    };
  }

  /**
   * Runs a check that counts as a failure until it answers a value. A success gives the place
   * back and, when `clears`, clears the failures of that email from that address.
   */
  private async counted<T>(
    limits: Limit[],
    clears: boolean,
    check: () => Promise<T | null>,
  ): Promise<T | null> {
    const reservation = await this.limiter.take(limits, 'too many failed password checks');
    let result: T | null;
    try {
      result = await check();
    } catch (error) {
      await this.limiter.release(reservation);
      throw error;
    }
    if (result !== null) {
      await this.limiter.release(reservation);
      if (clears) await this.limiter.reset(limits[0].key);
    }
    return result;
  }
}
