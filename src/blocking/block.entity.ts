import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** `blockerId` blocked `blockedId`. */
@Entity('blocks')
@Index(['blockedId'])
export class Block {
  @PrimaryColumn({ type: 'integer' })
  blockerId: number;

  @PrimaryColumn({ type: 'integer' })
  blockedId: number;

  @Column(timeColumn)
  createdAt: Date;
}
