import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** `userId` has `contactId` among their contacts; friends are mutual contacts. */
@Entity('contacts')
@Index(['contactId'])
export class Contact {
  @PrimaryColumn({ type: 'integer' })
  userId: number;

  @PrimaryColumn({ type: 'integer' })
  contactId: number;

  @Column(timeColumn)
  createdAt: Date;
}
