import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * A user's SSE code. Only a random nonce is stored; the code is an HMAC of it under a key derived
 * from JWT_SECRET, so a copy of the database alone does not give a working code, yet the service
 * can hand the same code out again.
 */
@Entity('sse_codes')
export class SseCode {
  @PrimaryColumn({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 64 })
  nonce: string;

  @Column(timeColumn)
  createdAt: Date;
}
