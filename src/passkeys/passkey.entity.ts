import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** A passkey (WebAuthn credential) of a user: its public key and signature counter. */
@Entity('passkeys')
@Index(['userId'])
export class Passkey {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  /** The credential ID (base64url) the authenticator names it by. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 1400 })
  credentialId: string;

  /** The COSE public key (base64url); public, so kept as it is. */
  @Column({ type: 'varchar', length: 2000 })
  publicKey: string;

  /** The signature counter last seen: an assertion must come with a higher one (or both zero). */
  @Column({ type: 'bigint' })
  counter: string;

  /** Comma list of the transports the authenticator named (internal, hybrid, usb...). */
  @Column({ type: 'varchar', length: 200, nullable: true })
  transports: string | null;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column(timeColumn)
  createdAt: Date;

  @Column({ ...timeColumn, nullable: true })
  lastUsedAt: Date | null;
}

/** A WebAuthn challenge handed out with options: used once, for five minutes. */
@Entity('passkey_challenges')
@Index(['expiresAt'])
export class PasskeyChallenge {
  /** Random and public (a sign-in's `challenge_id`). */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  /** `register`: the user adding a passkey; `login`: a sign-in, whose user the passkey names. */
  @Column({ type: 'varchar', length: 16 })
  purpose: 'register' | 'login';

  @Column({ type: 'integer', nullable: true })
  userId: number | null;

  @Column({ type: 'varchar', length: 128 })
  challenge: string;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  expiresAt: Date;
}
