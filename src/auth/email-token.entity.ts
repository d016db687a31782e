import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

export type EmailTokenPurpose = 'confirm_email' | 'password_reset';

/** A token sent by mail (confirmation or password reset); only its SHA-256 is stored. */
@Entity('email_tokens')
@Index(['userId', 'purpose', 'createdAt'])
export class EmailToken {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 20 })
  purpose: EmailTokenPurpose;

  @Column({ type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  /** The address the mail went to: for a confirmation, the address it confirms. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  expiresAt: Date;

  @Column({ ...timeColumn, nullable: true })
  usedAt: Date | null;
}
