import type { EntityManager } from 'typeorm';
import type { BeforeCommitWork, Transaction } from '../database/transaction.js';
import { EventBus } from './event-bus.service.js';

/** A transaction whose two queues the test runs by hand: before the commit, then after it. */
function transaction() {
  const before: BeforeCommitWork[] = [];
  const after: (() => unknown)[] = [];
  const manager = {} as EntityManager;
  const tx: Transaction = {
    manager,
    beforeCommit: (work) => before.push(work),
    afterCommit: (work) => after.push(work),
  };
  return {
    tx,
    manager,
    commit: async () => {
      for (const work of before) await work(manager);
      for (const work of after) await work();
    },
  };
}

describe('EventBus.publish', () => {
  it('runs the recorders in the transaction before its commit, and the listeners after it', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const { tx, manager, commit } = transaction();
    bus.within('user.updated', async (given, { userId }) => {
      expect(given).toBe(manager);
      seen.push(`recorded ${userId}`);
    });
    bus.on('user.updated', ({ userId }) => void seen.push(`heard ${userId}`));
    bus.publish(tx, 'user.updated', { userId: 7 });
    expect(seen).toEqual([]);
    await commit();
    await bus.drain();
    expect(seen).toEqual(['recorded 7', 'heard 7']);
  });

  it('queues nothing before the commit for an event nobody records', () => {
    const bus = new EventBus();
    let queued = 0;
    const { tx } = transaction();
    bus.publish({ ...tx, beforeCommit: () => void (queued += 1) }, 'blocking.blocked', {
      blockerId: 1,
      blockedId: 2,
    });
    expect(queued).toBe(0);
  });
});
