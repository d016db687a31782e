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

/** A user's authenticator as read for a code check: its sealed secret and the last step used. */
export interface TotpState {
  sealed: string;
  lastStep: number | null;
}

/** The pending second step of an `mfa_token`, read with the user's authenticator in one statement. */
export interface LiveChallenge {
  id: number;
  userId: number;
  /** Null when TOTP was turned off since the password step (only a recovery code could match, and none is left). */
  totp: TotpState | null;
}

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

  /** The user's authenticator when TOTP is on, as a code check reads it; null when it is off. */
  totpOn(userId: number): Promise<TotpState | null> {
    return this.readTotp(this.dataSource.manager, userId, true);
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
  async useCode(
    manager: EntityManager,
    userId: number,
    code: string,
    totp?: TotpState | null,
  ): Promise<UsedCode | null> {
    if (isTotpCode(code)) {
      // An authenticator already read (liveChallenge) is not read again; null: it is off.
      const used =
        totp === undefined
          ? await this.useTotp(manager, userId, code, true)
          : totp !== null && (await this.takeStep(manager, userId, code, totp, true));
      return used ? { kind: 'totp' } : null;
    }
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

  /**
   * The second step of a right password: an `mfa_token` for five minutes, stored hashed. Inserted
   * without TypeORM reading the new row back (nothing here needs its id).
   */
  async openChallenge(userId: number): Promise<string> {
    const token = newSecretToken();
    const now = this.clock.now();
    await this.dataSource.manager
      .createQueryBuilder()
      .insert()
      .into(MfaChallenge)
      .values({
        userId,
        tokenHash: hashToken(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_MS),
        usedAt: null,
      })
      .updateEntity(false)
      .execute();
    return token;
  }

  /**
   * The pending second step of this `mfa_token`, unused and unexpired, with the user's
   * authenticator (on) read in the same statement; null otherwise.
   */
  async liveChallenge(token: string): Promise<LiveChallenge | null> {
    const row = await this.dataSource.manager
      .createQueryBuilder(MfaChallenge, 'challenge')
      .leftJoin(TotpFactor, 'totp', 'totp.user_id = challenge.user_id AND totp.confirmed_at IS NOT NULL')
      .select([
        'challenge.id AS id',
        'challenge.user_id AS user_id',
        'totp.secret_sealed AS sealed',
        'totp.last_step AS last_step',
      ])
      .where('challenge.token_hash = :hash AND challenge.used_at IS NULL AND challenge.expires_at > :now', {
        hash: hashToken(token),
        now: this.clock.nowMs(),
      })
      .getRawOne<{ id: number; user_id: number; sealed: string | null; last_step: string | number | null }>();
    if (!row) return null;
    const totp = row.sealed === null ? null : totpState({ sealed: row.sealed, last_step: row.last_step });
    return { id: Number(row.id), userId: Number(row.user_id), totp };
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
    const totp = await this.readTotp(manager, userId, confirmed);
    return totp !== null && this.takeStep(manager, userId, code, totp, confirmed);
  }

  /** The user's authenticator, on (`confirmed`) or waiting for its first code; null when there is none. */
  private async readTotp(
    manager: EntityManager,
    userId: number,
    confirmed: boolean,
  ): Promise<TotpState | null> {
    const row = await manager
      .createQueryBuilder(TotpFactor, 'totp')
      .select(['totp.secret_sealed AS sealed', 'totp.last_step AS last_step'])
      .where(`totp.user_id = :userId AND totp.confirmed_at IS ${confirmed ? 'NOT NULL' : 'NULL'}`, { userId })
      .getRawOne<{ sealed: string; last_step: string | number | null }>();
    return row ? totpState(row) : null;
  }

  /**
   * Records the time step `code` is right for, when it is later than the last one, in a
   * conditional update: only for the very secret that was read (turned off and on again since, the
   * row holds another), and only once for each step however many requests race for it.
   */
  private async takeStep(
    manager: EntityManager,
    userId: number,
    code: string,
    totp: TotpState,
    confirmed: boolean,
  ): Promise<boolean> {
    const secret = this.secrets.openTotpSecret(userId, totp.sealed);
    if (secret === null) return false;
    const step = await totpStep(secret, code, this.clock.nowMs(), totp.lastStep);
    if (step === null) return false;
    const update = manager
      .createQueryBuilder()
      .update(TotpFactor)
      .set(confirmed ? { lastStep: String(step) } : { lastStep: String(step), confirmedAt: this.clock.now() })
      .where(`user_id = :userId AND confirmed_at IS ${confirmed ? 'NOT NULL' : 'NULL'}`, { userId })
      .andWhere('secret_sealed = :sealed', { sealed: totp.sealed })
      .andWhere('(last_step IS NULL OR last_step < :step)', { step });
    return ((await update.execute()).affected ?? 0) > 0;
  }
}

/** An authenticator's row as read (`last_step` a bigint: a string on PostgreSQL). */
function totpState(row: { sealed: string; last_step: string | number | null }): TotpState {
  return { sealed: row.sealed, lastStep: row.last_step === null ? null : Number(row.last_step) };
}
