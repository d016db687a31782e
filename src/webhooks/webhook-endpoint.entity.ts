import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { timeColumn } from '../database/columns.js';

/** Why an endpoint no longer receives deliveries. */
export type DisabledReason = 'operator' | 'gone' | 'failing';

/** A URL that receives the webhook events it subscribed to, signed with its secret. */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 2000 })
  url: string;

  @Column({ type: 'varchar', length: 200 })
  description: string;

  /** The event types it receives, comma-separated. */
  @Column({ type: 'varchar', length: 1000 })
  eventTypes: string;

  /** The signing secret (`whsec_…`), sealed under the master secret (it is read back to sign). */
  @Column({ type: 'varchar', length: 300, select: false })
  secret: string;

  /** The secret before the last rotation, sealed; it signs too until `previousSecretUntil`. */
  @Column({ type: 'varchar', length: 300, nullable: true, select: false })
  previousSecret: string | null;

  @Column({ ...timeColumn, nullable: true })
  previousSecretUntil: Date | null;

  @Column({ ...timeColumn, nullable: true })
  disabledAt: Date | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  disabledReason: DisabledReason | null;

  /** Since when every try has failed (cleared by a success): five days of it disable the endpoint. */
  @Column({ ...timeColumn, nullable: true })
  failingSince: Date | null;

  @Column(timeColumn)
  createdAt: Date;

  @Column(timeColumn)
  updatedAt: Date;
}
