import { Injectable } from '@nestjs/common';
import { ActivityService } from '../account/activity.service.js';
import { AppError } from '../common/errors.js';
import { type DeviceRecord } from '../devices/device-record.js';
import { DevicesService } from '../devices/devices.service.js';
import { type SessionRecord, SessionsService } from '../sessions/sessions.service.js';
import { type OperatorRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import { type Operator } from '../service-keys/operator.js';
import { actionDetails } from './operator.js';
import { type AdminUserQuery, makeCursor, readCursor, sortKey, toSearch } from './operator-search.js';

export const ADMIN_PAGE_DEFAULT = 20;
export const ADMIN_PAGE_MAX = 100;

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
