import { LRUCache } from 'lru-cache';
import { User } from './user.entity.js';

/** Users kept per instance; enough for the active users of a busy instance (~1 KB each). */
const MAX_USERS = 20_000;
/** A safety net only: every write invalidates at once, here and (over ClusterBus) elsewhere. */
const MAX_AGE_MS = 60_000;

interface Load {
  promise: Promise<User | null>;
  /** Set when the user changed while this read was in flight: its row may be the old one. */
  stale: boolean;
}

/**
 * Users by id, read once and then served from memory (a public record or `GET /me` costs no query).
 * A read that overlaps a write is answered but not kept, so the cache never holds a row older
 * than the last invalidation. Callers get copies: an entity changed and then rolled back must not
 * change what others read.
 */
export class UserCache {
  private readonly users = new LRUCache<number, User>({ max: MAX_USERS, ttl: MAX_AGE_MS });
  /** Reads in flight, shared by concurrent callers of the same id. */
  private readonly loads = new Map<number, Load>();

  async get(id: number, read: (id: number) => Promise<User | null>): Promise<User | null> {
    const cached = this.users.get(id);
    if (cached) return copy(cached);
    let load = this.loads.get(id);
    if (!load) load = this.startLoad(id, read);
    const user = await load.promise;
    return user && copy(user);
  }

  /** A copy of the user if this instance holds them now; never reads. */
  peek(id: number): User | null {
    const cached = this.users.get(id);
    return cached ? copy(cached) : null;
  }

  /**
   * The user if this instance holds them now, never read and not copied: for building answers
   * only (a copy costs ~1.5 µs, a hundredth of a batch of a hundred records' time each).
   */
  view(id: number): Readonly<User> | null {
    return this.users.get(id) ?? null;
  }

  /** Forgets these users; a read of them in flight now is not kept. */
  invalidate(ids: Iterable<number>): void {
    for (const id of ids) {
      this.users.delete(id);
      const load = this.loads.get(id);
      if (load) {
        load.stale = true;
        this.loads.delete(id);
      }
    }
  }

  clear(): void {
    this.users.clear();
    for (const load of this.loads.values()) load.stale = true;
    this.loads.clear();
  }

  private startLoad(id: number, read: (id: number) => Promise<User | null>): Load {
    const load: Load = { promise: read(id), stale: false };
    this.loads.set(id, load);
    const settle = () => {
      if (this.loads.get(id) === load) this.loads.delete(id);
    };
    load.promise.then((user) => {
      settle();
      if (user && !load.stale) this.users.set(id, user);
    }, settle);
    return load;
  }
}

function copy(user: User): User {
  return Object.assign(new User(), user);
}
