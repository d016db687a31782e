import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { KeptReads } from '../common/kept-reads.js';
import { RateLimiter, type Reservation } from '../common/rate-limiter.service.js';
import { SqlDialect } from '../database/sql-dialect.js';
import { insideSqliteTransaction, readNowOnSqlite } from '../database/sqlite-transactions.js';
import { inTransaction } from '../database/transaction.js';
import { AppError } from '../common/errors.js';
import { EventBus } from '../bus/event-bus.service.js';
import type { PublicRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import type { BlockSource } from '../users/view-sources.js';
import { Block } from './block.entity.js';

/**
 * Block and unblock changes one pair may make in an hour (either side's, together): each change
 * is two events on both sides' streams, and a flood of them would push a user's real events out
 * of the bounded replay buffer.
 */
export const BLOCK_CHANGES_PER_HOUR = 10;

/** Viewers whose blockers are kept, on SQLite: the active users of a busy laptop instance and more. */
const KEPT_VIEWERS = 20_000;
/** A safety net only: every block and unblock drops the copy of the user it names as blocked. */
const KEPT_MS = 60_000;

export interface BlockRelation {
  aBlockedB: boolean;
  bBlockedA: boolean;
}

/**
 * Blocks between users (XEP-0191 "polite" blocking: the blocked user sees the blocker as if
 * offline). Answers "is there a block, which way" for one pair, or for a whole recipient list in
 * one query: the list travels as one bound array, so its size never meets a parameter limit.
 */
@Injectable()
export class BlockingService implements BlockSource, OnModuleInit {
  /**
   * Who blocked each viewer, kept on SQLite only, where the service is one process (its bus is
   * in-process; several instances need PostgreSQL and Redis): every block and unblock goes through
   * this service, which drops the copy of the user it names within its transaction, so a block
   * holds at once as when the rows were read on every request. On PostgreSQL they are still read
   * on every request: another instance's block would reach a copy only after a bus message.
   */
  private readonly keptBlockers = new LRUCache<number, ReadonlySet<number>>({
    max: KEPT_VIEWERS,
    ttl: KEPT_MS,
  });
  /** A read of blockers under way when a block changed is used but not kept. */
  private readonly blockerReads = new KeptReads();
  /** The repository's database never changes: its dialect is made once. */
  private sqlDialect: SqlDialect | null = null;

  constructor(
    @InjectRepository(Block) private readonly blocks: Repository<Block>,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
  ) {}

  onModuleInit(): void {
    this.records.useBlocks(this);
  }

  /**
   * Idempotent: blocking again changes nothing and announces nothing. A change takes a turn of the
   * pair's limit first (so a parallel burst gets no more than the limit); a call that changed
   * nothing gives it back.
   */
  async block(blockerId: number, blockedId: number): Promise<void> {
    await this.assertOther(blockerId, blockedId);
    await this.changeWithinLimit(blockerId, blockedId, () =>
      inTransaction(this.blocks.manager, async (tx) => {
        this.forgetBlockersOf(blockedId);
        const [p1, p2, p3] = this.dialect.placeholders(3);
        // ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): a repeated or concurrent block is
        // not an error, and RETURNING tells whether this call is the one that made it.
        const inserted: unknown[] = await tx.manager.query(
          `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (${p1}, ${p2}, ${p3})
           ON CONFLICT DO NOTHING RETURNING blocker_id`,
          [blockerId, blockedId, this.clock.nowMs()],
        );
        if (inserted.length === 0) return false;
        this.events.publish(tx, 'blocking.blocked', { blockerId, blockedId });
        return true;
      }),
    );
  }

  /** Idempotent: lifting a block that does not exist answers the same and announces nothing. */
  async unblock(blockerId: number, blockedId: number): Promise<void> {
    await this.assertOther(blockerId, blockedId);
    await this.changeWithinLimit(blockerId, blockedId, () =>
      inTransaction(this.blocks.manager, async (tx) => {
        this.forgetBlockersOf(blockedId);
        const result = await tx.manager.delete(Block, { blockerId, blockedId });
        if (!result.affected) return false;
        this.events.publish(tx, 'blocking.unblocked', { blockerId, blockedId });
        return true;
      }),
    );
  }

  /**
   * Drops the kept blockers of `blockedId`, from inside the transaction that changes them: on
   * SQLite it holds the one connection, so every read of them from now on waits for its end and
   * sees its outcome, and a read under way is not kept.
   */
  private forgetBlockersOf(blockedId: number): void {
    this.blockerReads.changed();
    this.keptBlockers.delete(blockedId);
  }

  async relation(a: number, b: number): Promise<BlockRelation> {
    const rows = await this.blocks.find({
      select: { blockerId: true, blockedId: true },
      where: [
        { blockerId: a, blockedId: b },
        { blockerId: b, blockedId: a },
      ],
    });
    return {
      aBlockedB: rows.some((row) => row.blockerId === a),
      bBlockedA: rows.some((row) => row.blockerId === b),
    };
  }

  async isBlockedEitherWay(a: number, b: number): Promise<boolean> {
    const { aBlockedB, bBlockedA } = await this.relation(a, b);
    return aBlockedB || bBlockedA;
  }

  /** Of `otherIds`, those with a block in either direction with `userId`: one query for any number. */
  async blockedEitherWayAmong(userId: number, otherIds: number[]): Promise<Set<number>> {
    if (otherIds.length === 0) return new Set();
    const sql = this.dialect;
    const [p1, p2, p3, p4] = sql.placeholders(4);
    const ids = sql.ids(otherIds);
    const rows: { other_id: number }[] = await this.blocks.query(
      `SELECT blocked_id AS other_id FROM blocks WHERE blocker_id = ${p1} AND blocked_id ${sql.inIds(p2)}
       UNION
       SELECT blocker_id AS other_id FROM blocks WHERE blocked_id = ${p3} AND blocker_id ${sql.inIds(p4)}`,
      [userId, ids, userId, ids],
    );
    return new Set(rows.map((row) => Number(row.other_id)));
  }

  /**
   * Of these owners, the ones who blocked the viewer (BlockSource, for the public record views),
   * from one indexed read of the viewer's blockers.
   */
  async ownersBlockingViewer(ownerIds: number[], viewerId: number): Promise<Set<number>> {
    if (ownerIds.length === 0) return new Set();
    // A block must hold at once on every instance: read each time, or kept where there is one (SQLite).
    const blockers = await this.blockersOfViewer(viewerId);
    return new Set(blockers.size === 0 ? [] : ownerIds.filter((id) => blockers.has(id)));
  }

  private async blockersOfViewer(viewerId: number): Promise<ReadonlySet<number>> {
    // Inside a SQLite transaction the read sees its changes, which a rollback may take back: not kept.
    if (this.dialect.postgres || insideSqliteTransaction()) return this.readBlockersOf(viewerId);
    return (
      this.keptBlockers.get(viewerId) ??
      this.blockerReads.read(
        () => this.readBlockersOf(viewerId),
        (found) => this.keptBlockers.set(viewerId, found),
      )
    );
  }

  private async readBlockersOf(viewerId: number): Promise<ReadonlySet<number>> {
    const [p1] = this.dialect.placeholders(1);
    const statement = `SELECT blocker_id FROM blocks WHERE blocked_id = ${p1}`;
    // On SQLite, at once when no transaction holds the connection; else in its turn, as any query.
    const rows =
      readNowOnSqlite<{ blocker_id: number }>(this.blocks.manager.connection, statement, [viewerId]) ??
      ((await this.blocks.query(statement, [viewerId])) as { blocker_id: number }[]);
    return new Set(rows.map((row) => Number(row.blocker_id)));
  }

  /** Whom the user blocked, oldest block first, as public records seen by the user. */
  async blockedBy(userId: number): Promise<PublicRecord[]> {
    const rows = await this.blocks.find({
      select: { blockedId: true },
      where: { blockerId: userId },
      order: { createdAt: 'ASC', blockedId: 'ASC' },
    });
    return this.records.publicMany(await this.users.findByIds(rows.map((row) => row.blockedId)), userId);
  }

  /** Who blocked the user, oldest block first, as the user sees them (their presence stays hidden). */
  async blockersOf(userId: number): Promise<PublicRecord[]> {
    const rows = await this.blocks.find({
      select: { blockerId: true },
      where: { blockedId: userId },
      order: { createdAt: 'ASC', blockerId: 'ASC' },
    });
    return this.records.publicMany(await this.users.findByIds(rows.map((row) => row.blockerId)), userId);
  }

  /**
   * Runs `change` on a turn of the pair's limit (`429 please_wait` when it is spent), and gives
   * the turn back when `change` changed nothing or failed.
   */
  private async changeWithinLimit(a: number, b: number, change: () => Promise<boolean>): Promise<boolean> {
    const [low, high] = a < b ? [a, b] : [b, a];
    const turn: Reservation = await this.limiter.take(
      [{ key: `block-changes:${low}:${high}`, max: BLOCK_CHANGES_PER_HOUR, windowSeconds: 3600 }],
      `at most ${BLOCK_CHANGES_PER_HOUR} block or unblock changes an hour between two users`,
    );
    let changed = false;
    try {
      changed = await change();
      return changed;
    } finally {
      if (!changed) await this.limiter.release(turn);
    }
  }

  private async assertOther(userId: number, otherId: number): Promise<void> {
    if (userId === otherId) throw new AppError('invalid_params', 'you cannot block or unblock yourself');
    await this.users.getById(otherId);
  }

  private get dialect(): SqlDialect {
    this.sqlDialect ??= new SqlDialect(this.blocks.manager);
    return this.sqlDialect;
  }
}
