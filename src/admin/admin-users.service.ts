import { Injectable } from '@nestjs/common';
import { ActivityService } from '../account/activity.service.js';
import { AppError } from '../common/errors.js';
import { type DeviceRecord } from '../devices/device-record.js';
import { DevicesService } from '../devices/devices.service.js';
import { type SessionRecord, SessionsService } from '../sessions/sessions.service.js';
import { emailKey } from '../users/email.js';
import { nickKey } from '../users/nick.js';
import { type OperatorRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { type OperatorSearch, UsersService } from '../users/users.service.js';
import { actionDetails, type Operator } from './operator.js';

export const ADMIN_PAGE_DEFAULT = 20;
export const ADMIN_PAGE_MAX = 100;

/** What an operator searches by: at most one of them; none lists everybody. */
export interface AdminUserQuery {
  id?: number;
  email?: string;
  nick?: string;
}

export interface AdminUsersPage {
  users: OperatorRecord[];
  /** Send as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export interface AdminUserDetails {
  user: OperatorRecord;
  sessions: Omit<SessionRecord, 'current'>[];
  devices: DeviceRecord[];
}

/**
 * Users as an operator finds and reads them (admin API, CLI): private fields, the account's state,
 * sessions and devices. Each read is an audit line naming the key; it is not the user's activity.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly sessions: SessionsService,
    private readonly devices: DevicesService,
    private readonly activity: ActivityService,
  ) {}

  /**
   * One page of the users matching the query, ordered by what was searched (id, folded email,
   * folded nick). Paged by keyset: the cursor carries the last key of the page, so pages neither
   * skip nor repeat users while others register.
   */
  async search(
    query: AdminUserQuery,
    limit: number,
    cursor: string | null,
    operator: Operator,
  ): Promise<AdminUsersPage> {
    const search = toSearch(query);
    const after = cursor === null ? null : readCursor(cursor, search.by);
    const found = await this.users.searchForOperator(search, limit + 1, after);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    this.activity.audit({
      userId: search.by === 'id' ? search.id : null,
      type: 'admin_action',
      details: { ...actionDetails('search', operator), query: { ...query }, found: page.length },
    });
    return {
      users: await this.records.operatorMany(page),
      next_cursor: found.length > limit ? makeCursor(search.by, sortKey(search.by, last)) : null,
    };
  }

  /** The user's record as an operator sees it (what an action answers). */
  async record(userId: number): Promise<OperatorRecord> {
    const user = await this.users.findFresh(userId);
    if (!user) throw new AppError('not_found', `no user with id ${userId}`);
    const [record] = await this.records.operatorMany([user]);
    return record;
  }

  /** One user with private fields, the account's state, live sessions and devices. */
  async show(userId: number, operator: Operator): Promise<AdminUserDetails> {
    const user = await this.users.findFresh(userId);
    if (!user) throw new AppError('not_found', `no user with id ${userId}`);
    const [[record], sessions, devices] = await Promise.all([
      this.records.operatorMany([user]),
      this.sessions.list(userId, 0),
      this.devices.list(userId),
    ]);
    this.activity.audit({ userId, type: 'admin_action', details: actionDetails('show', operator) });
    return { user: record, sessions: sessions.map(({ current: _current, ...session }) => session), devices };
  }
}

function toSearch(query: AdminUserQuery): OperatorSearch {
  const given = (['id', 'email', 'nick'] as const).filter((name) => query[name] !== undefined);
  if (given.length > 1) throw new AppError('invalid_params', 'search by one of id, email and nick');
  if (query.id !== undefined) return { by: 'id', id: query.id };
  if (query.email !== undefined) return { by: 'email', prefix: nonEmpty(emailKey(query.email), 'email') };
  if (query.nick !== undefined) return { by: 'nick', prefix: nonEmpty(nickKey(query.nick.trim()), 'nick') };
  return { by: 'all' };
}

function nonEmpty(prefix: string, name: string): string {
  if (prefix === '') throw new AppError('invalid_params', `${name} must not be empty`);
  return prefix;
}

function sortKey(by: OperatorSearch['by'], user: { id: number; emailKey: string; nickKey: string | null }) {
  if (by === 'email') return user.emailKey;
  if (by === 'nick') return user.nickKey ?? '';
  return String(user.id);
}

/** `<by>:<last key>`, base64url: opaque to callers, and refused when sent with another kind of search. */
function makeCursor(by: OperatorSearch['by'], key: string): string {
  return Buffer.from(`${by}:${key}`, 'utf8').toString('base64url');
}

function readCursor(cursor: string, by: OperatorSearch['by']): string | number {
  const text = /^[\w-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const separator = text.indexOf(':');
  const key = text.slice(separator + 1);
  if (separator < 0 || text.slice(0, separator) !== by || key === '') {
    throw new AppError('invalid_params', 'cursor is not one this search answered');
  }
  if (by !== 'id' && by !== 'all') return key;
  if (!/^[1-9]\d{0,9}$/.test(key))
    throw new AppError('invalid_params', 'cursor is not one this search answered');
  return Number(key);
}
