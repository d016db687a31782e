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
});
