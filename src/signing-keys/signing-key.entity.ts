import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * A key that signs access tokens (ES256). The public part is published in the JWKS; the private
 * part is sealed under the master secret (AES-256-GCM, the kid as context), so every instance
 * signs with the same key and a copy of the database signs nothing.
 */
@Entity('signing_keys')
export class SigningKey {
  /** The JWT header's `kid`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  /** 1 for the first key, then one more per rotation: unique, so two instances cannot both make one. */
  @Column({ type: 'integer', unique: true })
  seq: number;

  @Column({ type: 'varchar', length: 10 })
  algorithm: string;

  /** The public key as a JWK (JSON). */
  @Column({ type: 'text' })
  publicJwk: string;

  /** The private key (PKCS#8 DER), sealed. */
  @Column({ type: 'text', select: false })
  sealedPrivateKey: string;

  /** When it was made, and so published. */
  @Column(timeColumn)
  createdAt: Date;

  /** From when it signs (made + KEY_PUBLISH_DELAY, the first key at once). */
  @Column(timeColumn)
  activatesAt: Date;
}
