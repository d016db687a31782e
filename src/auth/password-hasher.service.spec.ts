import { availableParallelism } from 'node:os';
import { HashQueue, PasswordHasher } from './password-hasher.service.js';

/** A job that ends when the test says so. */
function job(log: string[], name: string) {
  let end!: () => void;
  const done = new Promise<void>((resolve) => (end = resolve));
  return {
    end: () => end(),
    work: async () => {
      log.push(`start ${name}`);
      await done;
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('password hashing queue', () => {
  it('starts a check before new hashes that were waiting longer, and keeps a slot for checks', async () => {
    const log: string[] = [];
    const queue = new HashQueue(2, 1);
    const hashes = Array.from({ length: 5 }, (_, n) => job(log, `hash ${n}`));
    for (const hash of hashes) void queue.run('new', hash.work);
    await turn();
    // One new hash at a time: the other slot stays free for a check.
    expect(log).toEqual(['start hash 0']);
    const check = job(log, 'check');
    void queue.run('check', check.work);
    await turn();
    expect(log).toEqual(['start hash 0', 'start check']);
    hashes[0].end();
    await turn();
    expect(log).toEqual(['start hash 0', 'start check', 'start hash 1']);
  });

  it('answers a login while a flood of new passwords is being hashed', async () => {
    const hasher = new PasswordHasher();
    const stored = await hasher.hash('Correct-horse-42');
    const order: string[] = [];
    const cores = availableParallelism();
    const flood = Array.from({ length: 8 * cores }, () =>
      hasher.hash('Another-password-1').then(() => order.push('hash')),
    );
    const check = hasher.verify(stored, 'Correct-horse-42').then((valid) => order.push(`check ${valid}`));
    await Promise.all([...flood, check]);
    // It waits for at most the hashes already running (one per core but one), not for the flood:
    // queued behind it, it would end last. Half the flood is the margin for a machine under load
    // (other processes on the same cores once let four hashes end before it).
    expect(order.indexOf('check true')).toBeLessThan(flood.length / 2);
  });
});
