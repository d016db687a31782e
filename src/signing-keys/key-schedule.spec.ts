import { keySchedule, type KeyTimes } from './key-schedule.js';

const MINUTE = 60_000;
const DELAY = 10 * MINUTE;
const TTL = 15 * MINUTE;
const RETAIN = TTL + 5 * MINUTE;

/** A fake clock and the rotations an operator makes with it. */
function keyring() {
  let now = 1_000_000;
  const keys: KeyTimes[] = [{ kid: 'k1', seq: 1, createdAtMs: now, activatesAtMs: now }];
  return {
    keys,
    advance: (ms: number) => (now += ms),
    now: () => now,
    rotate(kid: string) {
      keys.push({ kid, seq: keys.length + 1, createdAtMs: now, activatesAtMs: now + DELAY });
    },
    at: () => keySchedule(keys, now, RETAIN),
  };
}

const kids = (keys: KeyTimes[]) => keys.map((key) => key.kid);

describe('the signing-key schedule', () => {
  it('signs with the first key at once and publishes it alone', () => {
    const ring = keyring();
    expect(ring.at().signing?.kid).toBe('k1');
    expect(kids(ring.at().published)).toEqual(['k1']);
  });

  it('publishes a new key at once but signs with it only after the publish delay', () => {
    const ring = keyring();
    ring.advance(MINUTE);
    ring.rotate('k2');
    expect(ring.at().signing?.kid).toBe('k1');
    expect(kids(ring.at().next)).toEqual(['k2']);
    expect(kids(ring.at().published)).toEqual(['k1', 'k2']);

    ring.advance(DELAY - 1);
    expect(ring.at().signing?.kid).toBe('k1');
    ring.advance(1);
    expect(ring.at().signing?.kid).toBe('k2');
    expect(kids(ring.at().retired)).toEqual(['k1']);
  });

  it('keeps a retired key published for a token lifetime and five minutes, then drops it', () => {
    const ring = keyring();
    ring.rotate('k2');
    ring.advance(DELAY);
    ring.advance(RETAIN - 1);
    expect(kids(ring.at().published)).toEqual(['k1', 'k2']);
    ring.advance(1);
    expect(kids(ring.at().published)).toEqual(['k2']);
  });

  it('never signs with a key that a verifier refreshing the set could not have seen for the delay', () => {
    const ring = keyring();
    // Whatever key signs at any moment was published at least DELAY before, or is the first key.
    for (let step = 0; step < 200; step++) {
      if (step % 37 === 0) ring.rotate(`k${ring.keys.length + 1}`);
      ring.advance(MINUTE / 2);
      const { signing, published } = ring.at();
      expect(signing).not.toBeNull();
      expect(published).toContain(signing);
      if (signing!.seq > 1) expect(ring.now() - signing!.createdAtMs).toBeGreaterThanOrEqual(DELAY);
    }
  });

  it('a second rotation before the first signs leaves both published, each signing in turn', () => {
    const ring = keyring();
    ring.rotate('k2');
    ring.advance(MINUTE);
    ring.rotate('k3');
    expect(kids(ring.at().next)).toEqual(['k2', 'k3']);
    ring.advance(DELAY - MINUTE);
    expect(ring.at().signing?.kid).toBe('k2');
    ring.advance(MINUTE);
    expect(ring.at().signing?.kid).toBe('k3');
    expect(kids(ring.at().published)).toEqual(['k1', 'k2', 'k3']);
  });
});
