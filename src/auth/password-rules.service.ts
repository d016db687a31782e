import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, type ErrorCode } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PasswordHasher } from './password-hasher.service.js';
import { passwordProblem } from './password-policy.js';

/** A breach lookup slower than this is given up: registration does not wait on another service. */
const PWNED_TIMEOUT_MS = 2000;

/**
 * The password rules of every new password (registration, reset, change): the policy of
 * password-policy.ts and, when PWNED_PASSWORDS_URL is set, Pwned Passwords' range API. Only the
 * first five hex characters of the password's SHA-1 leave the service (k-anonymity); the answer
 * lists the suffixes of that range. When the API cannot answer, the password is accepted (one
 * log line): an outage elsewhere must not stop people registering.
 */
@Injectable()
export class PasswordRules {
  private readonly logger = new Logger('PasswordRules');

  constructor(
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** That `password` may be the password of the account of `email`, else `code` saying why. */
  async check(password: string, email: string, code: ErrorCode): Promise<void> {
    const problem = passwordProblem(password, email);
    if (problem) throw new AppError(code, problem);
    if (await this.inBreaches(password)) {
      throw new AppError(code, 'password is too common: it has appeared in data breaches');
    }
  }

  /** The hash to store for a new password, once it passed the rules for `email` (else `code`). */
  async newHash(password: string, email: string, code: ErrorCode): Promise<string> {
    await this.check(password, email, code);
    return this.hasher.hash(password);
  }

  /** The hash of a password `check` has accepted. */
  hash(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  private async inBreaches(password: string): Promise<boolean> {
    const base = this.config.pwnedPasswordsUrl;
    if (base === null) return false;
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = digest.slice(0, 5);
    const suffix = digest.slice(5);
    try {
      const answer = await fetch(`${base}/range/${prefix}`, {
        headers: { 'Add-Padding': 'true', 'User-Agent': 'unichat-accounts' },
        signal: AbortSignal.timeout(PWNED_TIMEOUT_MS),
      });
      if (!answer.ok) throw new Error(`answered ${answer.status}`);
      for (const line of (await answer.text()).split('\n')) {
        const [candidate, count] = line.trim().split(':');
        // Padding lines (Add-Padding) have a count of 0: they are no breach.
        if (candidate?.toUpperCase() === suffix && Number(count) > 0) return true;
      }
      return false;
    } catch (error) {
      this.logger.warn(`Pwned Passwords not asked (${(error as Error).message}): the password is accepted`);
      return false;
    }
  }
}
