import { LRUCache } from 'lru-cache';
import { KeptReads } from '../common/kept-reads.js';
import type { User } from './user.entity.js';

/** Prefixes whose answer is kept: those a busy instance's users are typing (a few ids each). */
const MAX_PREFIXES = 10_000;
/** As for the user cache, a safety net only: every change of a user clears it, here and elsewhere. */
const MAX_AGE_MS = 60_000;

/**
 * The ids a nick search found, by folded prefix, kept until any user changes: a search is the
 * only hot read that asked the database on each request (its query cost more than building the
 * twenty records it finds). Whether a user is found depends on their own row only (nick,
 * searchable, confirmed, existing), and every change of a row is announced by UsersService, on
 * this instance and over ClusterBus on the others, as for the cached users the records are
 * built from. A search in flight when a change is announced answers but is not kept.
 */
export class NickSearchMemo {
  private readonly found = new LRUCache<string, readonly number[]>({ max: MAX_PREFIXES, ttl: MAX_AGE_MS });
  /** A search under way when a user changed is not kept. */
  private readonly reads = new KeptReads();

  async ids(prefix: string, read: () => Promise<number[]>): Promise<readonly number[]> {
    return this.found.get(prefix) ?? this.reads.read(read, (ids) => this.found.set(prefix, ids));
  }

  clear(): void {
    this.reads.changed();
    this.found.clear();
  }
}

/** The columns a nick search reads (UsersService.nickPrefixStatement), and the nick shown with the key. */
const SEARCHED: readonly (keyof User)[] = ['id', 'nick', 'nickKey', 'searchableNick', 'confirmedAt'];

/**
 * Whether an update of these fields may change what a nick search finds: a new status, a last
 * seen or an avatar (most changes, presence's among them) leaves the kept searches alone.
 */
export function mayChangeNickSearch(changes: Partial<User>): boolean {
  return SEARCHED.some((field) => field in changes);
}
