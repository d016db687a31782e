import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** `blockerId` blocked `blockedId`; one row a pair and direction (the primary key). */
@Entity('blocks')
@Index('blocks_blocked_blocker', ['blockedId', 'blockerId'])
export class Block {
  @PrimaryColumn({ type: 'integer' })
  blockerId: number;

  @PrimaryColumn({ type: 'integer' })
  blockedId: number;

  @Column(timeColumn)
  createdAt: Date;
}
