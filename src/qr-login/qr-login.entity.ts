import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * One QR login code. It lives in the database, not in one instance's memory, because the browser's
 * stream and the phone's approval may reach different instances.
 */
@Entity('qr_logins')
@Index(['expiresAt'])
export class QrLogin {
  /** Random and public (it is in the QR code); the key is the secret. */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  /** SHA-256 of the key. */
  @Column({ type: 'varchar', length: 64, select: false })
  keyHash: string;

  @Column(timeColumn)
  createdAt: Date;

  /** The browser that asked for the code, shown to the phone before it approves. */
  @Column({ type: 'varchar', length: 300, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** Two digits the browser page shows; the approval must repeat them. Not a secret on its own. */
  @Column({ type: 'varchar', length: 2 })
  checkCode: string;

  /** Set when an approval came with a wrong check number: the code can no longer be used. */
  @Column({ ...timeColumn, nullable: true })
  voidedAt: Date | null;

  @Column(timeColumn)
  expiresAt: Date;

  /** The logged-in user who approved it: the browser is logged in as this user. */
  @Column({ type: 'integer', nullable: true })
  approvedBy: number | null;

  /** The session that approved it: if it has ended by the time of delivery, no session is given. */
  @Column({ type: 'integer', nullable: true })
  approvedSessionId: number | null;

  @Column({ ...timeColumn, nullable: true })
  approvedAt: Date | null;

  /** The approving request's user agent and address: the browser learns which device let it in. */
  @Column({ type: 'varchar', length: 300, nullable: true })
  approverUserAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  approverIp: string | null;

  /** When the browser's stream received its session: a code gives at most one. */
  @Column({ ...timeColumn, nullable: true })
  deliveredAt: Date | null;
}
