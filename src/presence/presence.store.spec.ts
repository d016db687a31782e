import { MemoryPresenceStore } from './presence.store.js';

describe('presence store rules (in process)', () => {
  it('announces a user online with their first stream only', async () => {
    const store = new MemoryPresenceStore();
    expect(await store.add(1)).toBe(true);
    expect(await store.add(1)).toBe(false);
    expect(await store.add(2)).toBe(true);
    expect(await store.onlineAmong([1, 2, 3])).toEqual(new Set([1, 2]));
  });

  it('keeps a user online while any stream is open, and settles them offline once after the last closed', async () => {
    const store = new MemoryPresenceStore();
    await store.add(1);
    await store.add(1);
    await store.remove(1);
    expect(await store.onlineAmong([1])).toEqual(new Set([1]));
    expect(await store.settle(1)).toBe(false);

    await store.remove(1);
    expect(await store.onlineAmong([1])).toEqual(new Set());
    expect(await store.settle(1)).toBe(true);
    expect(await store.settle(1)).toBe(false);
    expect(await store.add(1)).toBe(true);
  });

  it('says neither offline nor online again when a stream closes and reopens before the grace ends', async () => {
    const store = new MemoryPresenceStore();
    await store.add(1);
    await store.remove(1);
    expect(await store.add(1)).toBe(false);
    expect(await store.settle(1)).toBe(false);
  });
});
