import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** One login of a user: its auth token (stored as a hash) and the access tokens issued for it. */
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
