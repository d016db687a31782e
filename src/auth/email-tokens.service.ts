import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import {
  type Attempt,
  type Limit,
  orPleaseWait,
  RateLimiter,
  type Reservation,
} from '../common/rate-limiter.service.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { MailService } from '../mail/mail.service.js';
import { confirmationMail, passwordResetMail } from '../mail/templates.js';
import { hashToken, newSecretToken } from '../sessions/secret-token.js';
import { EmailToken, type EmailTokenPurpose } from './email-token.entity.js';

const LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  confirm_email: 48 * 3600_000,
  password_reset: 3600_000,
};

/** Seconds a user must wait between two mails of one kind (resend and reset). */
export const MAIL_INTERVAL_SECONDS = 60;

/**
 * Tokens sent by mail: confirmation links (registration, email change) and password-reset links.
 * Exported so the profile module can send the confirmation of a new address.
 */
@Injectable()
export class EmailTokensService {
  constructor(
    @InjectRepository(EmailToken) private readonly tokens: Repository<EmailToken>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly mail: MailService,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
  ) {}

  /** Creates a confirmation token for `email` and queues its mail, in the caller's transaction. */
  async sendConfirmation(manager: EntityManager, userId: number, email: string): Promise<void> {
    const token = await this.create(manager, userId, 'confirm_email', email);
    const link = `${this.config.publicUrl}/api/v1/auth/confirm?token=${token}`;
    await this.mail.enqueue(manager, confirmationMail(email, link));
  }

  async sendPasswordReset(manager: EntityManager, userId: number, email: string): Promise<void> {
    const token = await this.create(manager, userId, 'password_reset', email);
    const link = `${this.config.passwordResetCallbackUrl}?password_reset_token=${token}`;
    await this.mail.enqueue(manager, passwordResetMail(email, link));
  }

  /**
   * Claims the turn to mail this user a link of this kind, at most one a minute: `retryAfter` when
   * it is not yet their turn. The last token's time says when the last mail went; an atomic
   * counter (in Redis with several instances) keeps concurrent requests from all passing that
   * check at once. A confirmation link that was used frees the turn: the mail reached its owner, so
   * confirming and then changing the address at once is not held up. `unclaim` gives a turn back
   * when the mail is not sent after all.
   */
  async claimNextSend(userId: number, purpose: EmailTokenPurpose): Promise<Attempt> {
    const last = await this.tokens.findOne({ where: { userId, purpose }, order: { createdAt: 'DESC' } });
    const counts = last !== null && !(purpose === 'confirm_email' && last.usedAt !== null);
    const waitMs = counts ? last.createdAt.getTime() + MAIL_INTERVAL_SECONDS * 1000 - this.clock.nowMs() : 0;
    if (waitMs > 0) return { retryAfter: Math.ceil(waitMs / 1000) };
    return this.limiter.attempt([this.turn(userId, purpose)]);
  }

  /** The turn to send a confirmation link (registration's resend, email change), else `please_wait`. */
  async claimConfirmation(userId: number): Promise<Reservation> {
    return orPleaseWait(
      await this.claimNextSend(userId, 'confirm_email'),
      'a confirmation was sent less than a minute ago',
    );
  }

  /**
   * The turn to mail a password-reset link, else `rate_exceeded` saying how long to wait.
   */
  async claimPasswordReset(userId: number): Promise<Reservation> {
    const claim = await this.claimNextSend(userId, 'password_reset');
    if ('retryAfter' in claim) {
      throw new AppError(
        'rate_exceeded',
        `a reset was requested less than a minute ago; try again in ${claim.retryAfter} s`,
        { retryAfter: claim.retryAfter },
      );
    }
    return claim.reservation;
  }

  async unclaim(reservation: Reservation): Promise<void> {
    await this.limiter.release(reservation);
  }

  /** After a confirmation link was used: the next confirmation mail may go at once. */
  async confirmationArrived(userId: number): Promise<void> {
    await this.limiter.reset(this.turn(userId, 'confirm_email').key);
  }

  private turn(userId: number, purpose: EmailTokenPurpose): Limit {
    return { key: `mail:${purpose}:${userId}`, max: 1, windowSeconds: MAIL_INTERVAL_SECONDS };
  }

  /**
   * Marks a live token used and returns it, in the caller's transaction; `invalid_token` when it
   * is unknown, used or expired. The update is conditional, so a token works exactly once.
   */
  async consume(
    manager: EntityManager,
    token: string,
    purpose: EmailTokenPurpose,
  ): Promise<EmailToken & { usedAt: Date }> {
    const row = await this.live(manager, token, purpose);
    const now = this.clock.now();
    const result = await manager.update(EmailToken, { id: row.id, usedAt: IsNull() }, { usedAt: now });
    if (!result.affected) throw new AppError('invalid_token');
    return { ...row, usedAt: now };
  }

  /** The live (unused, unexpired) token, else `invalid_token`; `consume` is what uses it up. */
  async live(manager: EntityManager, token: string, purpose: EmailTokenPurpose): Promise<EmailToken> {
    const row = await manager.findOneBy(EmailToken, {
      tokenHash: hashToken(token),
      purpose,
      usedAt: IsNull(),
    });
    if (!row || row.expiresAt.getTime() <= this.clock.nowMs()) throw new AppError('invalid_token');
    return row;
  }

  /** The token's row whether used, expired or live (what a second click on a link was for). */
  async find(manager: EntityManager, token: string, purpose: EmailTokenPurpose): Promise<EmailToken | null> {
    return manager.findOneBy(EmailToken, { tokenHash: hashToken(token), purpose });
  }

  /** Ends every other live token of this kind (after a reset, older reset links stop working). */
  async consumeAll(manager: EntityManager, userId: number, purpose: EmailTokenPurpose): Promise<void> {
    await manager.update(EmailToken, { userId, purpose, usedAt: IsNull() }, { usedAt: this.clock.now() });
  }

  private async create(
    manager: EntityManager,
    userId: number,
    purpose: EmailTokenPurpose,
    email: string,
  ): Promise<string> {
    const token = newSecretToken();
    const now = this.clock.now();
    await manager.insert(EmailToken, {
      userId,
      purpose,
      tokenHash: hashToken(token),
      email,
      createdAt: now,
      expiresAt: new Date(now.getTime() + LIFETIME_MS[purpose]),
      usedAt: null,
    });
    return token;
  }
}
