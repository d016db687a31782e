import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * One login of a user: its auth token and the access tokens issued for it. The auth token is an
 * HMAC of `authNonce` under a key derived from JWT_SECRET; the row keeps the nonce and a SHA-256
 * of the token, neither of which logs in when copied out of the database.
 */
@Entity('sessions')
@Index(['userId', 'revokedAt'])
@Index(['revokedAt'])
export class Session {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  /** SHA-256 of the long-lived auth token. */
  @Column({ type: 'varchar', length: 64, unique: true, select: false })
  authTokenHash: string;

  /** What the auth token is derived from; null for sessions opened before tokens were derived. */
  @Column({ type: 'varchar', length: 64, nullable: true, select: false })
  authNonce: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  lastUsedAt: Date;

  @Column({ ...timeColumn, nullable: true })
  revokedAt: Date | null;
}
