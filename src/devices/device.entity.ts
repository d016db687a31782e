import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';
import type { NotificationService } from './device-token.js';

/**
 * A phone or browser that receives the pushes of one user. The token is stored as the device gave
 * it, not hashed: APNs, FCM and the push service need the plaintext in every request, so a hash
 * would make push impossible. It is worth little alone (sending needs our APNs key, FCM service
 * account or VAPID key) and is never logged whole.
 */
@Entity('devices')
@Index(['userId'])
export class Device {
  @PrimaryGeneratedColumn()
  id: number;

  /** Unique: one device belongs to one user; registering it elsewhere moves it. */
  @Column({ type: 'varchar', length: 1000, unique: true })
  token: string;

  /**
   * A web push device's endpoint, which names it (DELETE /devices/:token), unique: the same
   * subscription registered again with other keys is the same browser. Null for phones.
   */
  @Column({ type: 'varchar', length: 1000, nullable: true, unique: true })
  endpoint: string | null;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 20 })
  notificationService: NotificationService;

  /** When this user first registered the device (a device that moved starts again). */
  @Column(timeColumn)
  createdAt: Date;

  /** When the device last registered itself; a "dead token" answer to an older push is stale. */
  @Column(timeColumn)
  registeredAt: Date;
}
