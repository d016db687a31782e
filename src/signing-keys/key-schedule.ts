/** When one signing key was made and when it may sign (made + the publish delay; the first key at once). */
export interface KeyTimes {
  kid: string;
  /** Order of creation: each rotation takes the next number (unique in the table). */
  seq: number;
  createdAtMs: number;
  activatesAtMs: number;
}

export interface KeySchedule<K extends KeyTimes> {
  /** The key that signs now: the newest one whose time to sign has come. Null before any has. */
  signing: K | null;
  /** Keys published and waiting for their time to sign. */
  next: K[];
  /** Keys that stopped signing recently enough that tokens they signed may still be alive. */
  retired: K[];
  /** Every key to publish: signing, next and recently retired, oldest first. */
  published: K[];
}

/**
 * Which key signs, and which are published, at `nowMs`. A key signs only once its `activatesAtMs`
 * has come, so verifiers that cache the key set have seen it for the publish delay; a key stops
 * signing when a newer one starts, and stays published for `retainMs` more (the life of the last
 * token it signed, plus a margin for instances that learn of the change a little late).
 */
export function keySchedule<K extends KeyTimes>(
  keys: readonly K[],
  nowMs: number,
  retainMs: number,
): KeySchedule<K> {
  const sorted = [...keys].sort((a, b) => a.seq - b.seq);
  const active = sorted.filter((key) => key.activatesAtMs <= nowMs);
  const signing = active.length > 0 ? active[active.length - 1] : null;
  const next = sorted.filter((key) => key.activatesAtMs > nowMs && (!signing || key.seq > signing.seq));
  const retired = sorted.filter((key) => {
    if (!signing || key.seq >= signing.seq) return false;
    const until = retiredAtMs(sorted, key, nowMs);
    return until !== null && nowMs - until < retainMs;
  });
  const published = sorted.filter((key) => key === signing || next.includes(key) || retired.includes(key));
  return { signing, next, retired, published };
}

/** When `key` stopped signing: when the first newer key started (null while it has not). */
export function retiredAtMs(keys: readonly KeyTimes[], key: KeyTimes, nowMs: number): number | null {
  const starts = keys
    .filter((other) => other.seq > key.seq && other.activatesAtMs <= nowMs)
    .map((other) => other.activatesAtMs);
  return starts.length > 0 ? Math.min(...starts) : null;
}
