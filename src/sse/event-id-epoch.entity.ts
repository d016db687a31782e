import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/**
 * One row per start of an instance that numbers events in process (no Redis). Its id, never given
 * twice by the database, is the high part of every event id of that run: ids never repeat across
 * restarts, and an id from before a restart is told apart from the ones after it.
 */
@Entity('event_id_epochs')
export class EventIdEpoch {
  @PrimaryGeneratedColumn()
  id: number;

  @Column(timeColumn)
  startedAt: Date;
}
