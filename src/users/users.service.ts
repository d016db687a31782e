import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository, type SelectQueryBuilder } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { uniqueViolation } from '../database/errors.js';
import { User } from './user.entity.js';

export interface NewUser {
  email: string;
  passwordHash: string;
  nick: string | null;
  nickKey: string | null;
}

/** The only writer of the users table; feature modules call it, inside their own transactions. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly clock: Clock,
  ) {}

  static emailKey(email: string): string {
    return email.trim().toLowerCase();
  }

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async getById(id: number): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new AppError('not_found', `no user with id ${id}`);
    return user;
  }

  /** The users with these ids, in the order of `ids` (unknown ids are left out). */
  async findByIds(ids: number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const byId = new Map((await this.users.findBy({ id: In(ids) })).map((user) => [user.id, user]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ emailKey: UsersService.emailKey(email) });
  }

  /** The stored password hash, which is never loaded with the user otherwise. */
  async passwordHash(userId: number): Promise<string | null> {
    const row = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    return row?.passwordHash ?? null;
  }

  /**
   * Confirmed, searchable users whose folded nick starts with `prefix`, by nick, without `exceptId`.
   * A range on the unique nick_key index on SQLite; LIKE on a pattern-ops index on PostgreSQL
   * (its collations do not order by code point, so a range would be wrong there).
   */
  searchByNickPrefix(prefix: string, limit: number, exceptId: number): Promise<User[]> {
    return this.nickPrefixQuery(prefix, limit, exceptId).getMany();
  }

  /** The query of `searchByNickPrefix`, apart so a test can ask the database for its plan. */
  nickPrefixQuery(prefix: string, limit: number, exceptId: number): SelectQueryBuilder<User> {
    const query = this.users
      .createQueryBuilder('user')
      .where('user.searchable_nick = :searchable', { searchable: true })
      .andWhere('user.confirmed_at IS NOT NULL')
      .andWhere('user.id != :exceptId', { exceptId })
      .orderBy('user.nick_key', 'ASC')
      .limit(limit);
    if (this.users.manager.connection.options.type === 'postgres') {
      query.andWhere("user.nick_key LIKE :pattern ESCAPE '\\'", {
        pattern: `${prefix.replace(/[\\%_]/g, '\\$&')}%`,
      });
    } else {
      query.andWhere('user.nick_key >= :low AND user.nick_key < :high', {
        low: prefix,
        high: `${prefix}\u{10FFFF}`,
      });
    }
    return query;
  }

  async isConfirmed(userId: number): Promise<boolean> {
    const row = await this.users.findOne({ where: { id: userId }, select: { id: true, confirmedAt: true } });
    return row?.confirmedAt != null;
  }

  async create(manager: EntityManager, input: NewUser): Promise<User> {
    const now = this.clock.now();
    const user = manager.create(User, {
      email: input.email.trim(),
      emailKey: UsersService.emailKey(input.email),
      pendingEmail: null,
      passwordHash: input.passwordHash,
      nick: input.nick,
      nickKey: input.nickKey,
      searchableNick: true,
      confirmedAt: null,
      status: null,
      statusMessage: null,
      mobileNumber: null,
      avatarKey: null,
      avatarSmallKey: null,
      lastSeenAt: null,
      createdAt: now,
      updatedAt: now,
    });
    return this.save(manager, user);
  }

  /** Saves changed fields, turning unique-index conflicts into `409 invalid_email` / `409 invalid_nick`. */
  async save(manager: EntityManager, user: User): Promise<User> {
    user.updatedAt = this.clock.now();
    try {
      return await manager.save(User, user);
    } catch (error) {
      throw conflictError(error) ?? error;
    }
  }

  async update(manager: EntityManager, userId: number, changes: Partial<User>): Promise<void> {
    try {
      await manager.update(User, { id: userId }, { ...changes, updatedAt: this.clock.now() });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
  }
}

function conflictError(error: unknown): AppError | null {
  const column = uniqueViolation(error);
  if (column === null) return null;
  if (column.includes('email'))
    return new AppError('invalid_email', 'email address is already taken', { status: 409 });
  if (column.includes('nick')) return new AppError('invalid_nick', 'nick is already taken', { status: 409 });
  return null;
}
