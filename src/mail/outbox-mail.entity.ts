import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** A mail waiting to be delivered, written in the same transaction as the change that caused it. */
@Entity('mail_outbox')
@Index(['sentAt', 'nextAttemptAt'])
export class OutboxMail {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 254 })
  toAddress: string;

  @Column({ type: 'varchar', length: 200 })
  subject: string;

  @Column({ type: 'text' })
  text: string;

  @Column({ type: 'text' })
  html: string;

  @Column({ type: 'integer' })
  attempts: number;

  /** When delivery is next due; moved forward while an instance holds it (its lease). */
  @Column(timeColumn)
  nextAttemptAt: Date;

  @Column({ ...timeColumn, nullable: true })
  sentAt: Date | null;

  /** Set when the mail was given up on after too many attempts. */
  @Column({ ...timeColumn, nullable: true })
  failedAt: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column(timeColumn)
  createdAt: Date;
}
