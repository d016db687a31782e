import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** An account at an OpenID provider (its `sub`) that signs in to one Unichat account. */
@Entity('identities')
@Index('identities_provider_subject', ['provider', 'subject'], { unique: true })
export class Identity {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('identities_user_id')
  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** The address the provider gave at the last sign-in, if any (Apple's private relay included). */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ type: 'boolean' })
  emailVerified: boolean;

  @Column(timeColumn)
  createdAt: Date;
}
