import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * A key another backend calls with (`Authorization: Bearer usk_…`). Only a SHA-256 of the key is
 * kept: it was shown once, when made, and a copy of the database calls nothing.
 */
@Entity('service_keys')
export class ServiceKey {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The scopes granted, as a comma list (`relations:read,users:read`). */
  @Column({ type: 'varchar', length: 200 })
  scopes: string;

  @Column({ type: 'varchar', length: 64, unique: true, select: false })
  keyHash: string;

  @Column(timeColumn)
  createdAt: Date;

  /** Updated at most once a minute per key (see ServiceKeysService.authenticate). */
  @Column({ ...timeColumn, nullable: true })
  lastUsedAt: Date | null;

  @Column({ ...timeColumn, nullable: true })
  revokedAt: Date | null;
}
