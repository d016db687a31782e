import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';
import type { NotificationService } from './device-token.js';

/**
 * A phone that receives the pushes of one user. The token is stored as the phone gave it, not
 * hashed: APNs needs the plaintext in every request path, so a hash would make push impossible.
 * It is worth little alone (sending needs the team's signing key) and is never logged whole.
 */
@Entity('devices')
@Index(['userId'])
export class Device {
  @PrimaryGeneratedColumn()
  id: number;

  /** Unique: one device belongs to one user; registering it elsewhere moves it. */
  @Column({ type: 'varchar', length: 200, unique: true })
  token: string;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 20 })
  notificationService: NotificationService;

  /** When this user first registered the device (a device that moved starts again). */
  @Column(timeColumn)
  createdAt: Date;

  /** When the device last registered itself; an APNs "Unregistered" older than this is stale. */
  @Column(timeColumn)
  registeredAt: Date;
}
