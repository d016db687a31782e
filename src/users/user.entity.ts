import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

export const USER_STATUSES = ['away', 'busy', 'do_not_disturb', 'invisible'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Who sees the exact last seen and online state: anybody, friends (mutual contacts), nobody. */
export const LAST_SEEN_VISIBILITIES = ['everyone', 'contacts', 'nobody'] as const;
export type LastSeenVisibility = (typeof LAST_SEEN_VISIBILITIES)[number];

/** A Unichat account. Its id is also the user's JID. Written only through UsersService. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** Lower-cased email: unique, so addresses are unique without regard to case. */
  @Column({ type: 'varchar', length: 254, unique: true })
  emailKey: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  pendingEmail: string | null;

  @Column({ type: 'varchar', length: 200, select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  nick: string | null;

  /** Case-folded nick: unique, so two concurrent requests cannot both take one nick. */
  @Column({ type: 'varchar', length: 256, nullable: true, unique: true })
  nickKey: string | null;

  @Column({ type: 'boolean' })
  searchableNick: boolean;

  @Column({ ...timeColumn, nullable: true })
  confirmedAt: Date | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  status: UserStatus | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  statusMessage: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  mobileNumber: string | null;

  /** Key of the full-size avatar image; null when the user has none. */
  @Column({ type: 'varchar', length: 80, nullable: true })
  avatarKey: string | null;

  /** Key of the 128 px copy; equal to avatarKey when the original was small. */
  @Column({ type: 'varchar', length: 80, nullable: true })
  avatarSmallKey: string | null;

  @Column({ ...timeColumn, nullable: true })
  lastSeenAt: Date | null;

  @Column({ type: 'varchar', length: 10, default: 'everyone' })
  lastSeenVisibility: LastSeenVisibility;

  /** Set while an operator has the account disabled: no login, no session (admin/). */
  @Column({ ...timeColumn, nullable: true })
  disabledAt: Date | null;

  /** When the user last opened a session (password, QR); null before the first one. */
  @Column({ ...timeColumn, nullable: true })
  lastLoginAt: Date | null;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  updatedAt: Date;
}
