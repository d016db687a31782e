import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { uniqueViolation } from '../database/errors.js';
import { EventBus } from '../events/event-bus.js';
import type { PublicRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import type { BlockSource } from '../users/view-sources.js';
import { Block } from './block.entity.js';

/** SQLite allows 32,766 parameters a statement; chunks keep every IN list well below. */
const CHUNK = 500;

/**
 * Blocks between users (XEP-0191 "polite" blocking: the blocked user sees the blocker as if
 * offline). Answers "is there a block, which way" for one pair or a whole recipient list.
 */
@Injectable()
export class BlockingService implements BlockSource, OnModuleInit {
  constructor(
    @InjectRepository(Block) private readonly blocks: Repository<Block>,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.records.useBlocks(this);
  }

  async block(blockerId: number, blockedId: number): Promise<void> {
    await this.assertOther(blockerId, blockedId);
    try {
      await this.blocks.insert({ blockerId, blockedId, createdAt: this.clock.now() });
    } catch (error) {
      if (uniqueViolation(error)) return; // already blocked: idempotent, nothing to announce
      throw error;
    }
    this.events.emit('blocking.blocked', { blockerId, blockedId });
  }

  async unblock(blockerId: number, blockedId: number): Promise<void> {
    await this.assertOther(blockerId, blockedId);
    const result = await this.blocks.delete({ blockerId, blockedId });
    if (result.affected) this.events.emit('blocking.unblocked', { blockerId, blockedId });
  }

  async relation(a: number, b: number): Promise<{ aBlockedB: boolean; bBlockedA: boolean }> {
    const rows = await this.blocks.find({
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

  /** Of `otherIds`, those with a block in either direction with `userId`. */
  async blockedEitherWayAmong(userId: number, otherIds: number[]): Promise<Set<number>> {
    const result = new Set<number>();
    for (let start = 0; start < otherIds.length; start += CHUNK) {
      const chunk = otherIds.slice(start, start + CHUNK);
      const rows = await this.blocks.find({
        where: [
          { blockerId: userId, blockedId: In(chunk) },
          { blockedId: userId, blockerId: In(chunk) },
        ],
      });
      for (const row of rows) result.add(row.blockerId === userId ? row.blockedId : row.blockerId);
    }
    return result;
  }

  /** Of these owners, the ones who blocked the viewer (for the public record views). */
  async ownersBlockingViewer(ownerIds: number[], viewerId: number): Promise<Set<number>> {
    const result = new Set<number>();
    for (let start = 0; start < ownerIds.length; start += CHUNK) {
      const rows = await this.blocks.find({
        where: { blockedId: viewerId, blockerId: In(ownerIds.slice(start, start + CHUNK)) },
      });
      for (const row of rows) result.add(row.blockerId);
    }
    return result;
  }

  /** Whom the user blocked, as public records (as the user sees them). */
  async blockedBy(userId: number): Promise<PublicRecord[]> {
    const rows = await this.blocks.find({ where: { blockerId: userId }, order: { createdAt: 'ASC' } });
    return this.records.publicMany(await this.users.findByIds(rows.map((row) => row.blockedId)), userId);
  }

  /** Who blocked the user, as public records (hidden fields stay hidden: they blocked the user). */
  async blockersOf(userId: number): Promise<PublicRecord[]> {
    const rows = await this.blocks.find({ where: { blockedId: userId }, order: { createdAt: 'ASC' } });
    return this.records.publicMany(await this.users.findByIds(rows.map((row) => row.blockerId)), userId);
  }

  private async assertOther(userId: number, otherId: number): Promise<void> {
    if (userId === otherId) throw new AppError('invalid_params', 'you cannot block yourself');
    await this.users.getById(otherId);
  }
}
