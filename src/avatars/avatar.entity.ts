import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** One stored image (a full avatar or its small copy), served at /api/v1/avatars/:key by any instance. */
@Entity('avatars')
export class AvatarImage {
  /** Random key of this image; a new avatar gets new keys, so URLs can be cached forever. */
  @PrimaryColumn({ type: 'varchar', length: 80 })
  key: string;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 40 })
  contentType: string;

  /** Content hash, sent as the ETag. */
  @Column({ type: 'varchar', length: 64 })
  etag: string;

  @Column({ type: 'integer' })
  width: number;

  @Column({ type: 'integer' })
  height: number;

  /** The image bytes in base64: one column type that SQLite and PostgreSQL share. */
  @Column({ type: 'text' })
  data: string;

  @Column(timeColumn)
  createdAt: Date;
}
