import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { PasskeyChallenge } from './passkey.entity.js';

/** How long the options of a WebAuthn ceremony stay good (its `timeout` too). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * WebAuthn challenges, kept in the database (the options and the answer may reach different
 * instances) and taken by a delete: whichever request deletes the row uses it, no other.
 */
@Injectable()
export class PasskeyChallenges {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async issue(
    purpose: PasskeyChallenge['purpose'],
    userId: number | null,
    challenge: string,
  ): Promise<string> {
    const id = randomBytes(16).toString('base64url');
    const now = this.clock.now();
    await this.dataSource.manager.insert(PasskeyChallenge, {
      id,
      purpose,
      userId,
      challenge,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
    });
    return id;
  }

  /** Uses up a sign-in's challenge, in the caller's transaction: its text, or null (unknown, used, expired). */
  async takeLogin(manager: EntityManager, id: string): Promise<string | null> {
    const row = await manager.findOneBy(PasskeyChallenge, { id, purpose: 'login' });
    return row && (await this.take(manager, row)) ? row.challenge : null;
  }

  /** Uses up the user's registration challenge `challenge` (read from the authenticator's answer). */
  async takeRegistration(manager: EntityManager, userId: number, challenge: string): Promise<boolean> {
    const row = await manager.findOneBy(PasskeyChallenge, { userId, challenge, purpose: 'register' });
    return row !== null && (await this.take(manager, row));
  }

  /** Hourly: expired challenges go, on every instance. */
  @Cron('0 29 * * * *', { name: 'passkey-challenges-cleanup' })
  async removeExpired(): Promise<void> {
    await this.dataSource.manager.delete(PasskeyChallenge, { expiresAt: LessThan(this.clock.now()) });
  }

  private async take(manager: EntityManager, row: PasskeyChallenge): Promise<boolean> {
    if (row.expiresAt.getTime() <= this.clock.nowMs()) return false;
    const result = await manager.delete(PasskeyChallenge, { id: row.id });
    return (result.affected ?? 0) > 0;
  }
}
