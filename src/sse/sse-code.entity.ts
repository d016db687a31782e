import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * The SSE code of one session. Only a random nonce is stored; the code is an HMAC of it under a key
 * derived from JWT_SECRET, so a copy of the database alone does not give a working code, yet the
 * service can hand the same code out again. Ending the session deletes the row.
 */
@Entity('sse_codes')
@Index('sse_codes_user_id', ['userId'])
export class SseCode {
  @PrimaryColumn({ type: 'integer' })
  sessionId: number;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 64 })
  nonce: string;

  @Column(timeColumn)
  createdAt: Date;
}
