import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * One security event of a user (a login, a failed login, a password change…), shown to them in
 * GET /me/activity and kept 90 days. No foreign key to users: the events of a deleted account
 * are kept for that period, with the addresses replaced by a keyed hash.
 */
@Entity('security_events')
@Index(['userId', 'id'])
@Index(['createdAt'])
export class SecurityEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 40 })
  type: string;

  /** What the type needs besides the address: `{method}`, `{email}`, `{device}`… as JSON. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  details: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  userAgent: string | null;

  @Column(timeColumn)
  createdAt: Date;
}
