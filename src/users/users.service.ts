import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { insideSqliteTransaction } from '../database/sqlite-transactions.js';
import { uniqueViolation } from '../database/errors.js';
import { afterCommit } from '../database/transaction.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import type { UpdatedUser } from '../bus/domain-events.js';
import { type EmailAddress, emailKey, emailTakenError } from './email.js';
import { copyUser, UserCache } from './user-cache.js';
import { mayChangeNickSearch, NickSearchMemo } from './nick-search-memo.js';
import { SqlDialect } from '../database/sql-dialect.js';
import { epochMs } from '../database/columns.js';
import { User } from './user.entity.js';
import { isDisabled } from './account-state.js';

/** Ids of changed users, published to every instance so each drops its cached copies. */

/**
 * The stored "hash" of an account with no password (made by an OpenID sign-in): matches no
 * password, and `passwordHash()` answers null for it. A reset sets a real one.
 */
export const NO_PASSWORD = '';

export interface NewUser {
  /** An address parseEmail took: composed, trimmed, with its folded key. */
  email: EmailAddress;
  /** null: no password (an OpenID sign-in made the account). */
  passwordHash: string | null;
  nick: string | null;
  nickKey: string | null;
}

/** What an operator looks for: one id, an email or nick prefix (already folded), or everybody. */
export type OperatorSearch =
  { by: 'id'; id: number } | { by: 'email'; prefix: string } | { by: 'nick'; prefix: string } | { by: 'all' };

/** A user's public fields, as `lockForWrite` read them with the lock (what `user.updated` tells). */
export type LockedUser = UpdatedUser;

interface LockedRow {
  id: number | string;
  nick: string | null;
  avatar_key: string | null;
  avatar_small_key: string | null;
  confirmed_at: number | string | null;
  created_at: number | string;
}

/** The locked fields as `changes`, written in the same transaction, leave them. */
export function lockedWith(locked: LockedUser, changes: Partial<User>): LockedUser {
  const after = { ...locked };
  for (const key of Object.keys(locked) as (keyof LockedUser)[]) {
    if (key in changes) (after as Record<string, unknown>)[key] = changes[key];
  }
  return after;
}

/**
 * The only writer of the users table; feature modules call it, inside their own transactions.
 * Being the only writer, it keeps users cached by id and drops them, on every instance, once a
 * change commits.
 */
@Injectable()
export class UsersService implements OnModuleInit {
  private readonly logger = new Logger('UsersService');
  private readonly cache = new UserCache();
  /** The ids each nick prefix found, cleared whenever the cache forgets a user. */
  private readonly searches = new NickSearchMemo();
  private readonly dialect: SqlDialect;
  /** The nick search's statement by page size (`nickPrefixStatement`). */
  private readonly nickPrefixStatements = new Map<number, string>();

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly clock: Clock,
    private readonly bus: ClusterBus,
  ) {
    this.dialect = new SqlDialect(users.manager);
  }

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('users.changed', ({ ids, nickSearch }) =>
      this.forget(ids, nickSearch !== false),
    );
    // Changes announced while the subscriber was away were missed.
    this.bus.onReconnect(() => {
      this.cache.clear();
      this.searches.clear();
    });
  }

  findById(id: number): Promise<User | null> {
    // Inside a SQLite transaction a read shared with another request would wait for this very
    // transaction to end: read on its own, uncached.
    if (insideSqliteTransaction()) return this.users.findOneBy({ id });
    return this.cache.get(id, (key) => this.users.findOneBy({ id: key }));
  }

  /**
   * As `findById`, for reading only: the cached user itself when this instance holds it (a copy
   * costs ~1.5 µs, and the confirmation gate reads its caller on every request with an early token).
   */
  async viewById(id: number): Promise<Readonly<User> | null> {
    return (insideSqliteTransaction() ? null : this.cache.view(id)) ?? this.findById(id);
  }

  async getById(id: number): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new AppError('not_found', `no user with id ${id}`);
    return user;
  }

  /**
   * The users with these ids, in the order of `ids` (unknown ids left out), as copies: those this
   * instance holds from the cache, the rest in one query, then kept.
   */
  async findManyByIds(ids: number[]): Promise<User[]> {
    return (await this.viewManyByIds(ids)).map(copyUser);
  }

  /**
   * As `findManyByIds`, for reading only: the cached users themselves rather than copies of them
   * (the records of a batch or a search are built from them and sent).
   */
  async viewManyByIds(ids: number[]): Promise<readonly Readonly<User>[]> {
    if (insideSqliteTransaction()) return this.findByIds(ids);
    return this.cache.many(ids, (missing) => this.users.findBy({ id: In(missing) }));
  }

  /** The users with these ids, in the order of `ids` (unknown ids are left out). */
  async findByIds(ids: number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const byId = new Map((await this.users.findBy({ id: In(ids) })).map((user) => [user.id, user]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Of these users, those who show their last seen to nobody (friends of theirs see no exact last seen of others). */
  async hidingLastSeenAmong(ids: number[]): Promise<Set<number>> {
    const hiding = new Set<number>();
    for (let start = 0; start < ids.length; start += 500) {
      const rows = await this.users.find({
        where: { id: In(ids.slice(start, start + 500)), lastSeenVisibility: 'nobody' },
        select: { id: true },
      });
      for (const row of rows) hiding.add(row.id);
    }
    return hiding;
  }

  /** The account of this address, compared folded (any case, any composition, look-alikes too). */
  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ emailKey: emailKey(email) });
  }

  /**
   * The account of `email` with its stored password hash (null for an account without a
   * password), in one read: what a password login checks. The hash is not left on the user.
   */
  async findByEmailWithPasswordHash(
    email: string,
  ): Promise<{ user: User; passwordHash: string | null } | null> {
    const user = await this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email_key = :key', { key: emailKey(email) })
      .getOne();
    if (!user) return null;
    const passwordHash = user.passwordHash || null;
    delete (user as Partial<User>).passwordHash;
    return { user, passwordHash };
  }

  /**
   * The stored password hash, which is never loaded with the user otherwise; null also for an
   * account that has no password (made by an OpenID sign-in: stored as NO_PASSWORD).
   */
  async passwordHash(userId: number): Promise<string | null> {
    const row = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    return row?.passwordHash || null;
  }

  /**
   * Confirmed, searchable users whose folded nick starts with `prefix`, by nick, without `exceptId`.
   * Uses the nick_key index on both databases (SqlDialect.startsWith). The query reads ids only,
   * kept until a user changes (NickSearchMemo); the users come from the cache, as for
   * `findManyByIds` (a query builder and its entities cost a search more than the rest of its answer).
   */
  async searchByNickPrefix(
    prefix: string,
    limit: number,
    exceptId: number,
  ): Promise<readonly Readonly<User>[]> {
    // One more than a page, the searcher among them or not: every searcher's page of this prefix
    // comes from the same kept ids.
    const read = async () => {
      const [sql, parameters] = this.nickPrefixQuery(prefix, limit + 1);
      const rows: { id: number | string }[] = await this.users.query(sql, parameters);
      return rows.map((row) => Number(row.id));
    };
    // Inside a SQLite transaction the read sees its changes, which a rollback may take back: not kept.
    const found = insideSqliteTransaction()
      ? await read()
      : await this.searches.ids(`${limit}:${prefix}`, read);
    return this.viewManyByIds(found.filter((id) => id !== exceptId).slice(0, limit));
  }

  /** The statement of `searchByNickPrefix` and its parameters, apart so a test can ask the database for its plan. */
  nickPrefixQuery(prefix: string, limit: number): [string, unknown[]] {
    // Bound in the order startsWith gives them, which is their order in its condition.
    const { params } = this.dialect.startsWith('nick_key', prefix);
    return [this.nickPrefixStatement(limit), Object.values(params)];
  }

  /**
   * The text of a nick search with `limit` users a page, written once: searches differ only in
   * what they bind (writing it took ~5 µs a search). `searchable_nick` is written as a literal:
   * SQLite answers a 20-user page in less than half the time (~12 µs → ~5 µs) than with it bound.
   */
  private nickPrefixStatement(limit: number): string {
    let sql = this.nickPrefixStatements.get(limit);
    if (sql === undefined) {
      const startsWith = this.dialect.startsWith('nick_key', '');
      const [where] = this.users.manager.connection.driver.escapeQueryWithParameters(
        `SELECT id FROM users WHERE searchable_nick = TRUE AND confirmed_at IS NOT NULL AND ${startsWith.sql}`,
        startsWith.params,
      );
      sql = `${where} ORDER BY nick_key ASC LIMIT ${Math.trunc(limit)}`;
      this.nickPrefixStatements.set(limit, sql);
    }
    return sql;
  }

  /**
   * Users for an operator (admin API, CLI), read fresh from the database: one id, an email or nick
   * prefix (folded keys), or everybody; ordered by the key searched, `limit` of them after `after`
   * (the last key of the previous page, null for the first).
   */
  searchForOperator(search: OperatorSearch, limit: number, after: string | number | null): Promise<User[]> {
    const query = this.users.createQueryBuilder('user').limit(limit);
    const dialect = new SqlDialect(this.users.manager);
    if (search.by === 'id' || search.by === 'all') {
      if (search.by === 'id') query.andWhere('user.id = :id', { id: search.id });
      if (after !== null) query.andWhere('user.id > :after', { after: Number(after) });
      return query.orderBy('user.id', 'ASC').getMany();
    }
    const column = search.by === 'email' ? 'user.email_key' : 'user.nick_key';
    const startsWith = dialect.startsWith(column, search.prefix);
    query.andWhere(startsWith.sql, startsWith.params);
    if (after !== null) query.andWhere(`${column} > :after`, { after: String(after) });
    return query.orderBy(column, 'ASC').getMany();
  }

  /** The user as the database holds it now (not the cached copy): for an operator's view. */
  findFresh(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** That the account may log in, else `403 account_disabled`: the person learns why, not `auth_failed`. */
  assertNotDisabled(user: Pick<User, 'disabledAt'>): void {
    if (isDisabled(user)) {
      throw new AppError('account_disabled', 'this account has been disabled by an operator');
    }
  }

  async isDisabled(userId: number): Promise<boolean> {
    const user = await this.findById(userId);
    return user !== null && isDisabled(user);
  }

  /** Of these users, those an operator disabled (for views that show `disabled` of many users). */
  async disabledAmong(ids: number[]): Promise<Set<number>> {
    const disabled = new Set<number>();
    for (let start = 0; start < ids.length; start += 500) {
      const rows = await this.users.find({
        where: { id: In(ids.slice(start, start + 500)), disabledAt: Not(IsNull()) },
        select: { id: true },
      });
      for (const row of rows) disabled.add(row.id);
    }
    return disabled;
  }

  /**
   * Records a login in the transaction that opens its session (`last_login_at`), provided the
   * account is not disabled, else `account_disabled`. An update of the user's row: it waits for a
   * disabling in progress and then sees it, so no session opens beside a disabling that ends them all.
   */
  async recordLogin(manager: EntityManager, userId: number): Promise<void> {
    const result = await manager.update(
      User,
      { id: userId, disabledAt: IsNull() },
      { lastLoginAt: this.clock.now() },
    );
    if (result.affected) return;
    const user = await manager.findOneBy(User, { id: userId });
    if (!user) throw new AppError('auth_failed', 'this account no longer exists');
    this.assertNotDisabled(user);
  }

  /**
   * Disables (`disabled` true) or enables the account in the caller's transaction; whether that
   * changed anything (disabling a disabled account changes nothing).
   */
  async setDisabled(manager: EntityManager, userId: number, disabled: boolean): Promise<boolean> {
    const result = await manager.update(
      User,
      { id: userId, disabledAt: disabled ? IsNull() : Not(IsNull()) },
      { disabledAt: disabled ? this.clock.now() : null, updatedAt: this.clock.now() },
    );
    if (!result.affected) return false;
    this.changed(manager, userId);
    return true;
  }

  async isConfirmed(userId: number): Promise<boolean> {
    return (await this.viewById(userId))?.confirmedAt != null;
  }

  async create(manager: EntityManager, input: NewUser): Promise<User> {
    const now = this.clock.now();
    const user = manager.create(User, {
      email: input.email.email,
      emailKey: input.email.key,
      pendingEmail: null,
      passwordHash: input.passwordHash ?? NO_PASSWORD,
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
      disabledAt: null,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
    });
    return this.save(manager, user);
  }

  /** Saves changed fields, turning unique-index conflicts into `409 invalid_email` / `409 invalid_nick`. */
  async save(manager: EntityManager, user: User): Promise<User> {
    user.updatedAt = this.clock.now();
    try {
      const saved = await manager.save(User, user);
      this.changed(manager, saved.id);
      return saved;
    } catch (error) {
      throw conflictError(error) ?? error;
    }
  }

  /**
   * Locks the user's row, first thing in a transaction that writes it together with rows of theirs
   * (avatar images, tokens, sessions). The order matters on PostgreSQL: a row inserted that refers
   * to the user takes a share lock on the user's row, and an update of a unique column (the nick)
   * then needs the exclusive one; two such transactions each holding the share lock deadlock.
   * Locked first, they take turns. A user who is gone (the account deleted while the request was
   * under way) is `401 unauthorized`, as their token is answered now.
   *
   * Answers the user's public fields as locked: with the transaction's changes (`lockedWith`) they
   * are the record the change leaves, which its announcements tell (a webhook's payload) without a
   * read of their own.
   */
  async lockForWrite(manager: EntityManager, userId: number): Promise<LockedUser> {
    const sql = new SqlDialect(manager);
    const [p1] = sql.placeholders(1);
    const rows: LockedRow[] = await manager.query(
      `SELECT id, nick, avatar_key, avatar_small_key, confirmed_at, created_at FROM users WHERE id = ${p1}${sql.forUpdate}`,
      [userId],
    );
    if (rows.length === 0) throw new AppError('unauthorized', 'this account no longer exists');
    const [row] = rows;
    return {
      id: Number(row.id),
      nick: row.nick,
      avatarKey: row.avatar_key,
      avatarSmallKey: row.avatar_small_key,
      confirmedAt: epochMs.from(row.confirmed_at),
      createdAt: epochMs.from(row.created_at) as Date,
    };
  }

  async update(manager: EntityManager, userId: number, changes: Partial<User>): Promise<void> {
    try {
      await manager.update(User, { id: userId }, { ...changes, updatedAt: this.clock.now() });
      this.changed(manager, userId, mayChangeNickSearch(changes));
    } catch (error) {
      throw conflictError(error) ?? error;
    }
  }

  /** Deletes the user; every row that belongs to them goes with it (foreign keys cascade). */
  async remove(manager: EntityManager, userId: number): Promise<void> {
    await manager.delete(User, { id: userId });
    this.changed(manager, userId);
  }

  /**
   * Drops the user from this instance's cache now, and everywhere once the change is visible:
   * after the transaction commits, or at once outside one. A rolled-back change needs nothing
   * more: reads inside a transaction are not cached, and on SQLite reads from outside wait for it.
   */
  private changed(manager: EntityManager, userId: number, nickSearch = true): void {
    this.forget([userId], nickSearch);
    afterCommit(manager, () => this.announce([userId], nickSearch));
  }

  private announce(ids: number[], nickSearch: boolean): void {
    this.forget(ids, nickSearch);
    this.bus
      .publish('users.changed', nickSearch ? { ids } : { ids, nickSearch })
      .catch((error: Error) => this.logger.error(`could not announce changed users: ${error.message}`));
  }

  /** Drops the users, and every kept search when the change may change what a prefix finds. */
  private forget(ids: number[], nickSearch: boolean): void {
    this.cache.invalidate(ids);
    if (nickSearch) this.searches.clear();
  }
}

function conflictError(error: unknown): AppError | null {
  const column = uniqueViolation(error);
  if (column === null) return null;
  if (column.includes('email')) return emailTakenError();
  if (column.includes('nick')) return new AppError('invalid_nick', 'nick is already taken', { status: 409 });
  return null;
}
