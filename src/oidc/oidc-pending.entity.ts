import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * What waits between two steps of an OpenID sign-in, found by the SHA-256 of a random value:
 * a web flow under way (`flow`, keyed by its `state`: PKCE verifier and nonce) or a proven
 * identity waiting for the app (`login_code`, 60 s, single use). Its details are sealed under
 * the master secret.
 */
@Entity('oidc_pending')
export class OidcPending {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  keyHash: string;

  @Column({ type: 'varchar', length: 12 })
  kind: 'flow' | 'login_code';

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 4000 })
  sealed: string;

  @Column(timeColumn)
  expiresAt: Date;
}
