import { LRUCache } from 'lru-cache';

/** Viewers whose blockers are kept per instance (a few bytes each: most people block nobody). */
const MAX_VIEWERS = 50_000;
/** A safety net only: every block and unblock drops its entry at once, here and elsewhere. */
const MAX_AGE_MS = 60_000;

interface Load {
  promise: Promise<ReadonlySet<number>>;
  /** Set when a block of this viewer changed while the read was in flight: it may be the old set. */
  stale: boolean;
}

/**
 * Who blocked each viewer, read once and then answered from memory: every public record a viewer
 * reads asks it (a batch of records, a search), and a query cost such a read more than the rest of
 * its answer. A read that overlaps a change is answered but not kept, as in UserCache.
 */
export class BlockersCache {
  private readonly blockers = new LRUCache<number, ReadonlySet<number>>({
    max: MAX_VIEWERS,
    ttl: MAX_AGE_MS,
  });
  private readonly loads = new Map<number, Load>();

  async get(viewerId: number, read: (viewerId: number) => Promise<ReadonlySet<number>>) {
    const cached = this.blockers.get(viewerId);
    if (cached) return cached;
    let load = this.loads.get(viewerId);
    if (!load) {
      const started: Load = { promise: read(viewerId), stale: false };
      load = started;
      this.loads.set(viewerId, started);
      const settle = () => {
        if (this.loads.get(viewerId) === started) this.loads.delete(viewerId);
      };
      started.promise.then((set) => {
        settle();
        if (!started.stale) this.blockers.set(viewerId, set);
      }, settle);
    }
    return load.promise;
  }

  /** Forgets the blockers of these viewers; a read of them in flight now is not kept. */
  invalidate(viewerIds: Iterable<number>): void {
    for (const id of viewerIds) {
      this.blockers.delete(id);
      const load = this.loads.get(id);
      if (load) {
        load.stale = true;
        this.loads.delete(id);
      }
    }
  }

  clear(): void {
    this.blockers.clear();
    for (const load of this.loads.values()) load.stale = true;
    this.loads.clear();
  }
}
