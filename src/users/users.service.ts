import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
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

  findByIds(ids: number[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.findBy({ id: In(ids) });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ emailKey: UsersService.emailKey(email) });
  }

  /** The stored password hash, which is never loaded with the user otherwise. */
  async passwordHash(userId: number): Promise<string | null> {
    const row = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    return row?.passwordHash ?? null;
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
  if (column.includes('email')) return new AppError('invalid_email', 'email address is already taken', { status: 409 });
  if (column.includes('nick')) return new AppError('invalid_nick', 'nick is already taken', { status: 409 });
  return null;
}
