import { AppError } from '../common/errors.js';
import { emailKey } from '../users/email.js';
import { nickKey } from '../users/nick.js';
import { type OperatorSearch } from '../users/users.service.js';

/** What an operator searches by: at most one of them; none lists everybody. */
export interface AdminUserQuery {
  id?: number;
  email?: string;
  nick?: string;
}

/** The search a query asks for, its prefix folded as the stored keys are; else `invalid_params`. */
export function toSearch(query: AdminUserQuery): OperatorSearch {
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

/** A user's key in the order of this kind of search: what the cursor after them carries. */
export function sortKey(
  by: OperatorSearch['by'],
  user: { id: number; emailKey: string; nickKey: string | null },
) {
  if (by === 'email') return user.emailKey;
  if (by === 'nick') return user.nickKey ?? '';
  return String(user.id);
}

/** `<by>:<last key>`, base64url: opaque to callers, and refused when sent with another kind of search. */
export function makeCursor(by: OperatorSearch['by'], key: string): string {
  return Buffer.from(`${by}:${key}`, 'utf8').toString('base64url');
}

export function readCursor(cursor: string, by: OperatorSearch['by']): string | number {
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
