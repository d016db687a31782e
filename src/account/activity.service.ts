import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { type SecondFactorChange } from '../bus/domain-events.js';
import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SecurityEvent } from './security-event.entity.js';

/** How long security events are kept, for the owner and for a deleted account alike. */
export const ACTIVITY_RETENTION_DAYS = 90;
export const ACTIVITY_PAGE_DEFAULT = 50;
export const ACTIVITY_PAGE_MAX = 100;

export type SecurityEventType =
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'session_ended'
  | 'password_changed'
  | 'password_reset'
  | 'email_confirmed'
  | 'email_change_requested'
  | 'email_change_confirmed'
  | 'device_added'
  | 'device_moved'
  | 'account_exported'
  | 'account_deleted'
  | SecondFactorChange
  | 'passkey_added'
  | 'passkey_removed'
  /** An operator acted on the account: `{action, key_id, key_name}` (key `cli`: the admin CLI). */
  | 'admin_action';

export interface NewSecurityEvent {
  userId: number;
  type: SecurityEventType;
  details?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

/** One event as GET /me/activity shows it. */
export interface ActivityRecord {
  id: number;
  type: string;
  created_at: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

/**
 * The security events of users: written as they happen, each also logged as one `audit` line
 * (operators' trail; no secret is ever part of an event), listed newest first, kept 90 days.
 */
@Injectable()
export class ActivityService {
  private readonly logger = new Logger('Audit');
  private readonly addressKey: Buffer;

  constructor(
    @InjectRepository(SecurityEvent) private readonly events: Repository<SecurityEvent>,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.addressKey = createHmac('sha256', config.jwtSecret).update('unichat address pseudonym').digest();
  }

  /** Writes the event (in the caller's transaction when given one) and its audit line. */
  async record(event: NewSecurityEvent, manager: EntityManager = this.events.manager): Promise<void> {
    const row = {
      userId: event.userId,
      type: event.type,
      details: event.details ? JSON.stringify(event.details).slice(0, 1000) : null,
      ip: event.ip?.slice(0, 64) ?? null,
      userAgent: event.userAgent?.slice(0, 300) ?? null,
      createdAt: this.clock.now(),
    };
    // Not read back: nothing needs the new row's id (TypeORM's insert would select it again).
    await manager.createQueryBuilder().insert().into(SecurityEvent).values(row).updateEntity(false).execute();
    this.audit(event);
  }

  /** An audit line only, for what belongs to no account (a failed login with an unknown email). */
  audit(event: Omit<NewSecurityEvent, 'userId'> & { userId: number | null }): void {
    this.logger.log(
      {
        audit: {
          type: event.type,
          user_id: event.userId,
          ip: event.ip ?? null,
          user_agent: event.userAgent ?? null,
          ...event.details,
        },
      },
      `security event ${event.type}${event.userId === null ? '' : ` of user ${event.userId}`}`,
    );
  }

  /** The user's events, newest first: `limit` of them before the event `beforeId` (null: the latest). */
  async list(
    userId: number,
    beforeId: number | null,
    limit: number,
  ): Promise<{ events: ActivityRecord[]; next_before_id: number | null }> {
    const rows = await this.events.find({
      where: beforeId === null ? { userId } : { userId, id: LessThan(beforeId) },
      order: { id: 'DESC' },
      take: limit,
    });
    return {
      events: rows.map(toActivityRecord),
      next_before_id: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  }

  /** Every event of the user still kept, newest first (the export). */
  async all(userId: number): Promise<ActivityRecord[]> {
    const rows = await this.events.find({ where: { userId }, order: { id: 'DESC' } });
    return rows.map(toActivityRecord);
  }

  /**
   * For a deleted account: its events stay for the retention period, but the addresses become
   * keyed hashes (the same address gives the same pseudonym, so abuse can still be followed) and
   * the email addresses in them are dropped.
   */
  async pseudonymise(manager: EntityManager, userId: number): Promise<void> {
    const rows = await manager.find(SecurityEvent, { where: { userId } });
    for (const row of rows) {
      const details = row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>);
      if (details) delete details.email;
      await manager.update(
        SecurityEvent,
        { id: row.id },
        {
          ip: row.ip === null || row.ip.startsWith('hmac:') ? row.ip : this.pseudonym(row.ip),
          details: details && Object.keys(details).length > 0 ? JSON.stringify(details) : null,
        },
      );
    }
  }

  /** Hourly: events older than the retention period go, on every instance (deleting twice is harmless). */
  @Cron('0 17 * * * *', { name: 'security-events-cleanup' })
  async removeExpired(): Promise<number> {
    const before = new Date(this.clock.nowMs() - ACTIVITY_RETENTION_DAYS * 86_400_000);
    const result = await this.events.delete({ createdAt: LessThan(before) });
    const removed = result.affected ?? 0;
    if (removed > 0)
      this.logger.log(`${removed} security event(s) older than ${ACTIVITY_RETENTION_DAYS} days removed`);
    return removed;
  }

  private pseudonym(ip: string): string {
    return `hmac:${createHmac('sha256', this.addressKey).update(ip).digest('hex').slice(0, 32)}`;
  }
}

function toActivityRecord(row: SecurityEvent): ActivityRecord {
  return {
    id: row.id,
    type: row.type,
    created_at: row.createdAt.toISOString(),
    ip: row.ip,
    user_agent: row.userAgent,
    details: row.details === null ? {} : (JSON.parse(row.details) as Record<string, unknown>),
  };
}
