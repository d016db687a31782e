import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { BlockingService } from '../blocking/blocking.service.js';
import { Clock } from '../common/clock.service.js';
import { SqlDialect } from '../database/sql-dialect.js';
import { inTransaction } from '../database/transaction.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import type { PublicRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import type { FriendSource } from '../users/view-sources.js';
import { Contact } from './contact.entity.js';

export interface ContactRecord extends PublicRecord {
  /** Both added each other, and no block stands between them. */
  is_friend: boolean;
}

/** Contacts (one-way) and friends (mutual contacts with no block between them). */
@Injectable()
export class ContactsService implements FriendSource, OnModuleInit {
  constructor(
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly blocking: BlockingService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
  ) {}

  onModuleInit(): void {
    this.records.useFriends(this);
  }

  async add(userId: number, contactId: number): Promise<ContactRecord> {
    if (userId === contactId) throw new AppError('invalid_params', 'you cannot add yourself as a contact');
    const contact = await this.users.getById(contactId);
    if ((await this.blocking.relation(userId, contactId)).bBlockedA) {
      throw new AppError('blocked', 'this user has blocked you');
    }
    await inTransaction(this.contacts.manager, async (tx) => {
      const sql = new SqlDialect(tx.manager);
      const [p1, p2, p3] = sql.placeholders(3);
      // Already a contact: adding again changes nothing (RETURNING tells whether this call added).
      const inserted: unknown[] = await tx.manager.query(
        `INSERT INTO contacts (user_id, contact_id, created_at) VALUES (${p1}, ${p2}, ${p3})
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [userId, contactId, this.clock.nowMs()],
      );
      if (inserted.length === 0) return;
      const notify = await this.firstAddThisHour(userId, contactId);
      this.events.publish(tx, 'contact.added', { userId, contactId, notify });
    });
    const [record] = await this.withFriendship(userId, [contact]);
    return record;
  }

  /**
   * Whether this add is news to the added user: one `contact.added` (stream event and push) per
   * pair an hour, however often the contact is removed and added again.
   */
  private async firstAddThisHour(userId: number, contactId: number): Promise<boolean> {
    const turn = await this.limiter.attempt([
      { key: `contact-added:${userId}:${contactId}`, max: 1, windowSeconds: 3600 },
    ]);
    return 'reservation' in turn;
  }

  async remove(userId: number, contactId: number): Promise<void> {
    await inTransaction(this.contacts.manager, async (tx) => {
      const result = await tx.manager.delete(Contact, { userId, contactId });
      if (!result.affected) throw new AppError('not_found', `user ${contactId} is not among your contacts`);
      this.events.publish(tx, 'contact.removed', { userId, contactId });
    });
  }

  async list(userId: number): Promise<ContactRecord[]> {
    const rows = await this.contacts.find({ where: { userId }, order: { createdAt: 'ASC' } });
    return this.withFriendship(userId, await this.users.findByIds(rows.map((row) => row.contactId)));
  }

  /**
   * People who added this user and whom this user has not added back (nor blocked, nor been
   * blocked by): their public records as this user sees them, oldest first.
   */
  async addedMe(userId: number): Promise<PublicRecord[]> {
    const [addedBy, mine] = await Promise.all([this.addedByIdsOf(userId), this.contactIdsOf(userId)]);
    const waiting = addedBy.filter((id) => !mine.includes(id));
    if (waiting.length === 0) return [];
    const blocked = await this.blocking.blockedEitherWayAmong(userId, waiting);
    const users = await this.users.findByIds(waiting.filter((id) => !blocked.has(id)));
    return this.records.publicMany(users, userId);
  }

  /** Ids of the users who added this user to their contacts, oldest first. */
  async addedByIdsOf(userId: number): Promise<number[]> {
    const rows = await this.contacts.find({
      where: { contactId: userId },
      select: { userId: true },
      order: { createdAt: 'ASC' },
    });
    return rows.map((row) => row.userId);
  }

  async contactIdsOf(userId: number): Promise<number[]> {
    return (await this.contacts.find({ where: { userId }, select: { contactId: true } })).map(
      (row) => row.contactId,
    );
  }

  /** Mutual contacts of the user with no block either way: who hears about them. */
  async friendIdsOf(userId: number): Promise<number[]> {
    const mine = await this.contactIdsOf(userId);
    if (mine.length === 0) return [];
    const mutual = await this.mutualAmong(userId, mine);
    const blocked = await this.blocking.blockedEitherWayAmong(userId, [...mutual]);
    return [...mutual].filter((id) => !blocked.has(id));
  }

  async friendsAmong(userId: number, ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const mutual = await this.mutualAmong(userId, ids);
    const blocked = await this.blocking.blockedEitherWayAmong(userId, [...mutual]);
    return new Set([...mutual].filter((id) => !blocked.has(id)));
  }

  /** Of `ids`, those who have `userId` among their contacts: one query for any number. */
  private async mutualAmong(userId: number, ids: number[]): Promise<Set<number>> {
    const sql = new SqlDialect(this.contacts.manager);
    const [p1, p2] = sql.placeholders(2);
    const rows: { user_id: number }[] = await this.contacts.query(
      `SELECT user_id FROM contacts WHERE contact_id = ${p1} AND user_id ${sql.inIds(p2)}`,
      [userId, sql.ids(ids)],
    );
    return new Set(rows.map((row) => Number(row.user_id)));
  }

  private async withFriendship(userId: number, users: Awaited<ReturnType<UsersService['findByIds']>>) {
    const ids = users.map((user) => user.id);
    const [records, mutual, blocked] = await Promise.all([
      this.records.publicMany(users, userId),
      this.mutualAmong(userId, ids),
      this.blocking.blockedEitherWayAmong(userId, ids),
    ]);
    return records.map((record) => ({
      ...record,
      is_friend: mutual.has(record.id) && !blocked.has(record.id),
    }));
  }
}
