import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, LessThan, Not } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { hashToken, newSecretToken } from '../sessions/secret-token.js';
import { MfaSecrets } from './mfa-secrets.service.js';
import { MfaChallenge, RecoveryCode, TotpFactor } from './second-factor.entity.js';
import { isTotpCode, newRecoveryCodes, newTotpSecret, totpStep } from './totp.js';

/** How long the `mfa_token` of a right password waits for its second step. */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;

/** A second-factor code that was right, and what it used up. */
export type UsedCode = { kind: 'totp' } | { kind: 'recovery_code'; left: number };

/**
 * The second-factor tables: TOTP secrets (sealed), recovery codes (keyed hashes) and the pending
 * second steps of logins (`mfa_token`, hashed). Everything a code uses up is taken by a
 * conditional update, so two requests (on any instances) never both use one code, one time
 * step or one `mfa_token`: the database decides.
 */
@Injectable()
export class SecondFactorsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: MfaSecrets,
    private readonly clock: Clock,
  ) {}

  /** Whether the user has TOTP on (a confirmed authenticator). */
  async isOn(userId: number, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return (await manager.countBy(TotpFactor, { userId, confirmedAt: Not(IsNull()) })) > 0;
  }

  async recoveryCodesLeft(userId: number, manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.countBy(RecoveryCode, { userId, usedAt: IsNull() });
  }

  /** A new secret waiting for its first code; it replaces any earlier set-up that was not finished. */
  async startTotp(manager: EntityManager, userId: number): Promise<string> {
    const secret = newTotpSecret();
    await manager.delete(TotpFactor, { userId, confirmedAt: IsNull() });
    await manager.insert(TotpFactor, {
      userId,
      secretSealed: this.secrets.sealTotpSecret(userId, secret),
      createdAt: this.clock.now(),
      confirmedAt: null,
      lastStep: null,
    });
    return secret;
  }

  /** Turns the waiting authenticator on when `code` is right for it; false otherwise. */
  async confirmTotp(manager: EntityManager, userId: number, code: string): Promise<boolean> {
    return this.useTotp(manager, userId, code, false);
  }

  /**
   * Uses a code of a user who has TOTP on: a TOTP code for a later time step than any accepted
   * before, or an unused recovery code. Null when it is wrong, used or expired.
   */
  async useCode(manager: EntityManager, userId: number, code: string): Promise<UsedCode | null> {
    if (isTotpCode(code)) return (await this.useTotp(manager, userId, code, true)) ? { kind: 'totp' } : null;
    const hash = this.secrets.recoveryCodeHash(userId, code);
    const row = await manager
      .createQueryBuilder(RecoveryCode, 'code')
      .select('code.id', 'id')
      .where('code.user_id = :userId AND code.code_hash = :hash AND code.used_at IS NULL', { userId, hash })
      .getRawOne<{ id: number }>();
    if (!row) return null;
    const taken = await manager.update(
      RecoveryCode,
      { id: row.id, usedAt: IsNull() },
      { usedAt: this.clock.now() },
    );
    if (!taken.affected) return null;
    return { kind: 'recovery_code', left: await this.recoveryCodesLeft(userId, manager) };
  }

  /** Ten new recovery codes in place of every earlier one; shown once, stored as keyed hashes. */
  async replaceRecoveryCodes(manager: EntityManager, userId: number): Promise<string[]> {
    await manager.delete(RecoveryCode, { userId });
    const codes = newRecoveryCodes();
    const now = this.clock.now();
    await manager.insert(
      RecoveryCode,
      codes.map((code) => ({
        userId,
        codeHash: this.secrets.recoveryCodeHash(userId, code),
        createdAt: now,
      })),
    );
    return codes;
  }

  /** TOTP off: the secret, the recovery codes and pending second steps go. */
  async turnOff(manager: EntityManager, userId: number): Promise<void> {
    await manager.delete(TotpFactor, { userId });
    await manager.delete(RecoveryCode, { userId });
    await manager.delete(MfaChallenge, { userId });
  }

  /** The second step of a right password: an `mfa_token` for five minutes, stored hashed. */
  async openChallenge(userId: number): Promise<string> {
    const token = newSecretToken();
    const now = this.clock.now();
    await this.dataSource.manager.insert(MfaChallenge, {
      userId,
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_MS),
      usedAt: null,
    });
    return token;
  }

  /** The pending second step of this `mfa_token`, unused and unexpired; null otherwise. */
  async liveChallenge(token: string): Promise<{ id: number; userId: number } | null> {
    const row = await this.dataSource.manager.findOneBy(MfaChallenge, {
      tokenHash: hashToken(token),
      usedAt: IsNull(),
    });
    if (!row || row.expiresAt.getTime() <= this.clock.nowMs()) return null;
    return { id: row.id, userId: row.userId };
  }

  /** Uses the second step up, in the caller's transaction; false when another request did first. */
  async consumeChallenge(manager: EntityManager, id: number): Promise<boolean> {
    const result = await manager.update(MfaChallenge, { id, usedAt: IsNull() }, { usedAt: this.clock.now() });
    return (result.affected ?? 0) > 0;
  }

  /** Hourly: second steps that ended (used or expired) are forgotten, on every instance. */
  @Cron('0 23 * * * *', { name: 'mfa-challenges-cleanup' })
  async removeExpiredChallenges(): Promise<void> {
    await this.dataSource.manager.delete(MfaChallenge, { expiresAt: LessThan(this.clock.now()) });
  }

  /**
   * Accepts a TOTP code of the user's authenticator (on, or waiting for its first code when
   * `confirmed` is false) for a time step later than the last one accepted, and records that step
   * (and the confirmation) in one conditional update.
   */
  private async useTotp(
    manager: EntityManager,
    userId: number,
    code: string,
    confirmed: boolean,
  ): Promise<boolean> {
    const row = await manager
      .createQueryBuilder(TotpFactor, 'totp')
      .select(['totp.secret_sealed AS sealed', 'totp.last_step AS last_step'])
      .where(`totp.user_id = :userId AND totp.confirmed_at IS ${confirmed ? 'NOT NULL' : 'NULL'}`, { userId })
      .getRawOne<{ sealed: string; last_step: string | number | null }>();
    if (!row) return false;
    const secret = this.secrets.openTotpSecret(userId, row.sealed);
    if (secret === null) return false;
    const last = row.last_step === null ? null : Number(row.last_step);
    const step = await totpStep(secret, code, this.clock.nowMs(), last);
    if (step === null) return false;
    const update = manager
      .createQueryBuilder()
      .update(TotpFactor)
      .set(confirmed ? { lastStep: String(step) } : { lastStep: String(step), confirmedAt: this.clock.now() })
      .where(`user_id = :userId AND confirmed_at IS ${confirmed ? 'NOT NULL' : 'NULL'}`, { userId })
      .andWhere('(last_step IS NULL OR last_step < :step)', { step });
    return ((await update.execute()).affected ?? 0) > 0;
  }
}
