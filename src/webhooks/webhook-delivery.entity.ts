import { randomBytes } from 'node:crypto';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One event for one endpoint: written in the transaction of the change it tells about, sent until
 * the endpoint takes it (2xx) or the retries run out. The body and `webhook-id` never change.
 */
@Entity('webhook_deliveries')
@Index(['status', 'nextAttemptAt'])
@Index(['endpointId', 'id'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  endpointId: number;

  /** The `webhook-id` header: the same on every try, and for every endpoint the event goes to. */
  @Column({ type: 'varchar', length: 40 })
  messageId: string;

  @Column({ type: 'varchar', length: 40 })
  eventType: string;

  /** The JSON body `{type, timestamp, data}`, exactly as signed and sent. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 10 })
  status: DeliveryStatus;

  @Column({ type: 'integer' })
  attempts: number;

  /** When the next try is due; moved forward while an instance holds the delivery (its lease). */
  @Column(timeColumn)
  nextAttemptAt: Date;

  @Column({ ...timeColumn, nullable: true })
  lastAttemptAt: Date | null;

  /** The HTTP status of the last answer; null when there was none (timeout, refused connection). */
  @Column({ type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  lastError: string | null;

  @Column({ ...timeColumn, nullable: true })
  deliveredAt: Date | null;

  @Column(timeColumn)
  createdAt: Date;
}

/** A `webhook-id`: the same on every try, and for every endpoint the event goes to. */
export const newMessageId = () => `msg_${randomBytes(16).toString('hex')}`;

/** A delivery due at once, not tried yet. */
export function newDelivery(
  endpointId: number,
  messageId: string,
  eventType: string,
  payload: string,
  now: Date,
): Partial<WebhookDelivery> {
  return {
    endpointId,
    messageId,
    eventType,
    payload,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    deliveredAt: null,
    createdAt: now,
  };
}
