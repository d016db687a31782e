import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors.js';
import { nickKey } from './nick.js';
import type { PublicRecord } from './user-records.js';
import { UserRecordsService } from './user-records.service.js';
import { UsersService } from './users.service.js';

const SEARCH_LIMIT = 20;

/** Other people's records: one, many at once, or found by nick. */
@Injectable()
export class UserDirectoryService {
  constructor(
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
  ) {}

  async publicUser(userId: number, viewerId: number | null): Promise<PublicRecord> {
    return this.records.public(await this.users.getById(userId), viewerId);
  }

  /** Several users at once, in the order asked, as the viewer sees each (as GET /users/:id would); ids of no user are left out. */
  async publicUsers(ids: number[], viewerId: number): Promise<PublicRecord[]> {
    return this.records.publicMany(await this.users.viewManyByIds(ids), viewerId);
  }

  /** The answer of `GET /users?ids=` as JSON text: `{"users": publicUsers(…)}`, written from kept records. */
  async publicUsersJson(ids: number[], viewerId: number): Promise<string> {
    return usersJson(await this.records.publicManyJson(await this.users.viewManyByIds(ids), viewerId));
  }

  /**
   * The answer of `GET /users?nick=` as JSON text: confirmed users who allow it, whose nick starts
   * with the prefix (case-insensitive).
   */
  async searchJson(prefix: string, viewerId: number): Promise<string> {
    const key = nickKey(prefix.trim());
    if ([...key].length < 2) {
      throw new AppError('invalid_params', 'nick must be at least 2 characters to search');
    }
    const found = await this.users.searchByNickPrefix(key, SEARCH_LIMIT, viewerId);
    return usersJson(await this.records.publicManyJson(found, viewerId));
  }
}

/** `JSON.stringify({ users })` of records already serialised. */
function usersJson(records: string[]): string {
  return `{"users":[${records.join(',')}]}`;
}
