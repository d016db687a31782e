import { Injectable } from '@nestjs/common';
import { type JsonAnswer } from '../common/conditional-get.js';
import { AppError } from '../common/errors.js';
import { AnswerMemo } from './answer-memo.js';
import { nickKey } from './nick.js';
import type { PublicRecord } from './user-records.js';
import { UserRecordsService } from './user-records.service.js';
import { UsersService } from './users.service.js';

const SEARCH_LIMIT = 20;

/** Other people's records: one, many at once, or found by nick. */
@Injectable()
export class UserDirectoryService {
  private readonly batches = new AnswerMemo();
  private readonly searches = new AnswerMemo();

  constructor(
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
  ) {}

  async publicUser(userId: number, viewerId: number | null): Promise<PublicRecord> {
    return this.records.public(await this.users.getById(userId), viewerId);
  }

  /**
   * Several users at once, in the order asked, as the viewer sees each (as GET /users/:id would);
   * ids of no user are left out.
   */
  async publicUsers(ids: number[], viewerId: number): Promise<PublicRecord[]> {
    return this.records.publicMany(await this.users.viewManyByIds(ids), viewerId);
  }

  /** The answer of `GET /users?ids=`: `{"users": publicUsers(…)}`, written from kept records. */
  async publicUsersAnswer(ids: number[], viewerId: number): Promise<JsonAnswer> {
    const texts = await this.records.publicManyJson(await this.users.viewManyByIds(ids), viewerId);
    return this.batches.answer(viewerId, texts);
  }

  /**
   * The answer of `GET /users?nick=`: confirmed users who allow it, whose nick starts with the
   * prefix (case-insensitive).
   */
  async searchAnswer(prefix: string, viewerId: number): Promise<JsonAnswer> {
    const key = nickKey(prefix.trim());
    if ([...key].length < 2) {
      throw new AppError('invalid_params', 'nick must be at least 2 characters to search');
    }
    const found = await this.users.searchByNickPrefix(key, SEARCH_LIMIT, viewerId);
    return this.searches.answer(viewerId, await this.records.publicManyJson(found, viewerId));
  }
}
