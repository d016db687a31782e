import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** A user's TOTP authenticator: pending until a first code confirms it, then on. */
@Entity('mfa_totp')
export class TotpFactor {
  @PrimaryColumn({ type: 'integer' })
  userId: number;

  /** The shared secret (base32), sealed under the master secret (SecretBox, context user:<id>). */
  @Column({ type: 'varchar', length: 200, select: false })
  secretSealed: string;

  @Column(timeColumn)
  createdAt: Date;

  /** Null while the set-up waits for its first code: the factor is not on yet. */
  @Column({ ...timeColumn, nullable: true })
  confirmedAt: Date | null;

  /** The last RFC 6238 time step a code was accepted for: a code is never accepted twice. */
  @Column({ type: 'bigint', nullable: true })
  lastStep: string | null;
}

/** One recovery code, stored only as a keyed hash; usable once. */
@Entity('mfa_recovery_codes')
@Index(['userId'])
export class RecoveryCode {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 64, select: false })
  codeHash: string;

  @Column(timeColumn)
  createdAt: Date;

  @Column({ ...timeColumn, nullable: true })
  usedAt: Date | null;
}

/** The second step a right password opened: its `mfa_token` (hashed), five minutes, single use. */
@Entity('mfa_challenges')
@Index(['expiresAt'])
export class MfaChallenge {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64, select: false })
  tokenHash: string;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  expiresAt: Date;

  @Column({ ...timeColumn, nullable: true })
  usedAt: Date | null;
}
