import { UserCache } from './user-cache.js';
import { User } from './user.entity.js';

function user(id: number, nick: string): User {
  return Object.assign(new User(), { id, nick });
}

/** A read the test finishes when it wants: the database answering while a write happens. */
function pendingRead() {
  let answer!: (row: User | null) => void;
  const reads: number[] = [];
  const read = (id: number) => {
    reads.push(id);
    return new Promise<User | null>((resolve) => (answer = resolve));
  };
  return { read, reads, answer: (row: User | null) => answer(row) };
}

describe('UserCache', () => {
  it('reads a user once and answers later calls from memory', async () => {
    const cache = new UserCache();
    const rows: number[] = [];
    const read = async (id: number) => (rows.push(id), user(id, 'ann'));
    expect((await cache.get(1, read))?.nick).toBe('ann');
    expect((await cache.get(1, read))?.nick).toBe('ann');
    expect(rows).toEqual([1]);
  });

  it('reads again after the user was invalidated', async () => {
    const cache = new UserCache();
    let nick = 'ann';
    const read = async (id: number) => user(id, nick);
    await cache.get(1, read);
    nick = 'anna';
    cache.invalidate([1]);
    expect((await cache.get(1, read))?.nick).toBe('anna');
  });

  it('does not keep a row read while the user changed: it may be the old one', async () => {
    const cache = new UserCache();
    const slow = pendingRead();
    const answered = cache.get(1, slow.read);
    cache.invalidate([1]); // the write commits while the read is in flight
    slow.answer(user(1, 'old'));
    expect((await answered)?.nick).toBe('old');

    const fresh = async (id: number) => user(id, 'new');
    expect((await cache.get(1, fresh))?.nick).toBe('new');
  });

  it('shares one read among concurrent callers', async () => {
    const cache = new UserCache();
    const slow = pendingRead();
    const both = Promise.all([cache.get(1, slow.read), cache.get(1, slow.read)]);
    slow.answer(user(1, 'ann'));
    expect((await both).map((found) => found?.nick)).toEqual(['ann', 'ann']);
    expect(slow.reads).toEqual([1]);
  });

  it('gives each caller its own copy, so a change that is never saved reaches nobody else', async () => {
    const cache = new UserCache();
    const read = async (id: number) => user(id, 'ann');
    const first = (await cache.get(1, read)) as User;
    first.nick = 'changed in a transaction that rolled back';
    expect((await cache.get(1, read))?.nick).toBe('ann');
    expect(first).toBeInstanceOf(User);
  });

  it('does not keep an unknown id, so a user created later is found', async () => {
    const cache = new UserCache();
    let exists = false;
    const read = async (id: number) => (exists ? user(id, 'new') : null);
    expect(await cache.get(7, read)).toBeNull();
    exists = true;
    expect((await cache.get(7, read))?.nick).toBe('new');
  });
  describe('many at once', () => {
    it('reads only the users it does not hold, in one read, and keeps them for the next batch', async () => {
      const cache = new UserCache();
      await cache.get(2, async (id) => user(id, 'held'));
      const reads: number[][] = [];
      const readMany = async (ids: number[]) => (reads.push(ids), ids.map((id) => user(id, `read ${id}`)));
      const nicks = (users: User[]) => users.map((found) => found.nick);
      // In the order asked, an id asked for twice answered twice.
      expect(nicks(await cache.many([1, 2, 3, 1], readMany))).toEqual(['read 1', 'held', 'read 3', 'read 1']);
      expect(nicks(await cache.many([3, 1, 2], readMany))).toEqual(['read 3', 'read 1', 'held']);
      expect(reads).toEqual([[1, 3]]);
      // A single read is answered from what the batch kept.
      expect((await cache.get(3, async () => null))?.nick).toBe('read 3');
    });

    it('does not keep a user who changed while the batch was being read, nor an unknown id', async () => {
      const cache = new UserCache();
      let answer!: (rows: User[]) => void;
      const pending = cache.many([1, 2, 9], () => new Promise<User[]>((resolve) => (answer = resolve)));
      cache.invalidate([1]); // a write to user 1 commits while the batch is read
      answer([user(1, 'old'), user(2, 'bob')]);
      expect((await pending).map((found) => found.id)).toEqual([1, 2]);
      const reads: number[][] = [];
      const readMany = async (ids: number[]) => (
        reads.push(ids),
        ids.flatMap((id) => (id === 9 ? [] : [user(id, 'new')]))
      );
      const again = await cache.many([1, 2, 9], readMany);
      expect(again.map((found) => found.nick)).toEqual(['new', 'bob']);
      expect(reads).toEqual([[1, 9]]);
    });

    it('shares a read already under way for one of the users', async () => {
      const cache = new UserCache();
      const slow = pendingRead();
      const single = cache.get(1, slow.read);
      const reads: number[][] = [];
      const batch = cache.many([1, 2], async (ids) => (reads.push(ids), ids.map((id) => user(id, 'batch'))));
      slow.answer(user(1, 'single'));
      await single;
      expect((await batch).map((found) => found.nick)).toEqual(['single', 'batch']);
      expect(reads).toEqual([[2]]);
    });
  });
});
