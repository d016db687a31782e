import 'reflect-metadata';
import { DataSource, type Logger as OrmLogger } from 'typeorm';
import { createTestEnvironment, type TestEnvironment } from '../../test/support/harness.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { loadConfig } from '../config/app-config.js';
import { keepJwtSecret } from '../config/kept-jwt-secret.js';
import { dataSourceOptions, openDataSource } from '../database/data-source-options.js';
import { inTransaction } from '../database/transaction.js';
import { type DomainEvents } from '../bus/domain-events.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import { RedisService } from '../bus/redis.service.js';
import { Metrics } from '../metrics/metrics.service.js';
import { User } from '../users/user.entity.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import { Block } from './block.entity.js';
import { RateLimiter } from '../common/rate-limiter.service.js';
import { BlockingService } from './blocking.service.js';
import { parseEmail } from '../users/email.js';

type BlockEvent = [keyof DomainEvents, DomainEvents['blocking.blocked']];

class FixedClock extends Clock {
  at = new Date('2026-01-01T00:00:00Z');
  override now(): Date {
    return new Date(this.at);
  }
}

/** The service against the real schema (migrations) of SQLite, or PostgreSQL when DATABASE_URL is set. */
describe('BlockingService', () => {
  let environment: TestEnvironment;
  let dataSource: DataSource;
  let users: UsersService;
  let blocking: BlockingService;
  let bus: EventBus;
  const clock = new FixedClock();
  const statements: string[] = [];
  const events: BlockEvent[] = [];

  const recordingLogger: OrmLogger = {
    logQuery: (query) => void statements.push(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    const { config } = keepJwtSecret(loadConfig(environment.vars));
    // As the service opens it: on SQLite, transactions take turns on the one connection.
    dataSource = await openDataSource({ ...dataSourceOptions(config), logger: recordingLogger });
    // In-process bus: the cache of UsersService is dropped within this process only.
    const clusterBus = new ClusterBus(new RedisService({ ...config, redisUrl: null }, new Metrics()));
    users = new UsersService(dataSource.getRepository(User), clock, clusterBus);
    await users.onModuleInit();
    bus = new EventBus();
    const records = new UserRecordsService(config, users, clock);
    // Presence and contacts are not under test: nobody is online, nobody is a friend.
    records.usePresence({ onlineAmong: async () => new Set() });
    records.useFriends({ friendsAmong: async () => new Set() });
    const limiter = new RateLimiter(new RedisService({ ...config, redisUrl: null }, new Metrics()), clock);
    blocking = new BlockingService(dataSource.getRepository(Block), users, records, bus, clock, limiter);
    blocking.onModuleInit();
    bus.on('blocking.blocked', (payload) => void events.push(['blocking.blocked', payload]));
    bus.on('blocking.unblocked', (payload) => void events.push(['blocking.unblocked', payload]));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await environment?.dispose();
  });
  beforeEach(() => {
    events.length = 0;
  });

  let serial = 0;
  async function newUsers(count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) {
      serial += 1;
      const email = parseEmail(`u${serial}@example.com`);
      const user = await inTransaction(dataSource, (tx) =>
        users.create(tx.manager, { email, passwordHash: 'x', nick: null, nickKey: null }),
      );
      ids.push(user.id);
    }
    return ids;
  }
  const announced = async () => {
    await bus.drain();
    return events.slice();
  };
  const errorCode = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (error instanceof AppError ? error.code : error),
    );

  it('announces a block once: blocking again changes nothing and emits nothing', async () => {
    const [ann, bob] = await newUsers(2);
    await blocking.block(ann, bob);
    await blocking.block(ann, bob);
    await Promise.all([blocking.block(ann, bob), blocking.block(ann, bob)]);
    expect(await announced()).toEqual([['blocking.blocked', { blockerId: ann, blockedId: bob }]]);
    expect(await dataSource.getRepository(Block).countBy({ blockerId: ann })).toBe(1);
  });

  it('announces an unblock only when there was a block to lift', async () => {
    const [ann, bob] = await newUsers(2);
    await blocking.unblock(ann, bob);
    expect(await announced()).toEqual([]);
    await blocking.block(ann, bob);
    await blocking.unblock(ann, bob);
    await blocking.unblock(ann, bob);
    expect(await announced()).toEqual([
      ['blocking.blocked', { blockerId: ann, blockedId: bob }],
      ['blocking.unblocked', { blockerId: ann, blockedId: bob }],
    ]);
    expect(await blocking.isBlockedEitherWay(ann, bob)).toBe(false);
  });

  it('refuses yourself (invalid_params) and nobody (not_found), writing and announcing nothing', async () => {
    const [ann] = await newUsers(1);
    expect(await errorCode(blocking.block(ann, ann))).toBe('invalid_params');
    expect(await errorCode(blocking.unblock(ann, ann))).toBe('invalid_params');
    expect(await errorCode(blocking.block(ann, 999_999_999))).toBe('not_found');
    expect(await errorCode(blocking.unblock(ann, 999_999_999))).toBe('not_found');
    expect(await dataSource.getRepository(Block).countBy({ blockerId: ann })).toBe(0);
    expect(await announced()).toEqual([]);
  });

  it('tells which way a block goes', async () => {
    const [ann, bob, carl] = await newUsers(3);
    await blocking.block(ann, bob);
    expect(await blocking.relation(ann, bob)).toEqual({ aBlockedB: true, bBlockedA: false });
    expect(await blocking.relation(bob, ann)).toEqual({ aBlockedB: false, bBlockedA: true });
    expect(await blocking.relation(ann, carl)).toEqual({ aBlockedB: false, bBlockedA: false });
    await blocking.block(bob, ann);
    expect(await blocking.relation(ann, bob)).toEqual({ aBlockedB: true, bBlockedA: true });
    expect(await blocking.isBlockedEitherWay(bob, ann)).toBe(true);
    expect(await blocking.isBlockedEitherWay(carl, ann)).toBe(false);
  });

  it('finds blocks both ways among a recipient list of thousands in one query, ignoring other pairs', async () => {
    const [ann, blockedByAnn, blockedAnn, stranger, other] = await newUsers(5);
    await blocking.block(ann, blockedByAnn);
    await blocking.block(blockedAnn, ann);
    await blocking.block(stranger, other); // a block between two others is no business of ann's
    const recipients = [
      ...Array.from({ length: 3000 }, (_, i) => 1_000_000 + i),
      blockedAnn,
      stranger,
      other,
      blockedByAnn,
      blockedByAnn,
    ];
    statements.length = 0;
    expect(await blocking.blockedEitherWayAmong(ann, recipients)).toEqual(
      new Set([blockedByAnn, blockedAnn]),
    );
    expect(statements).toHaveLength(1);
    expect(await blocking.blockedEitherWayAmong(ann, [])).toEqual(new Set());
    expect(await blocking.blockedEitherWayAmong(stranger, [ann, other])).toEqual(new Set([other]));
  });

  it('tells the record views only of owners who blocked the viewer, not of those the viewer blocked', async () => {
    const [viewer, blocker, blockedByViewer, friendly] = await newUsers(4);
    await blocking.block(blocker, viewer);
    await blocking.block(viewer, blockedByViewer);
    const owners = [
      blocker,
      blockedByViewer,
      friendly,
      ...Array.from({ length: 2000 }, (_, i) => 2_000_000 + i),
    ];
    statements.length = 0;
    expect(await blocking.ownersBlockingViewer(owners, viewer)).toEqual(new Set([blocker]));
    // One statement for any number of owners (none through TypeORM on SQLite: its read runs on the
    // connection itself, and is kept).
    expect(statements.length).toBeLessThanOrEqual(1);
  });

  it('tells the record views of a block or unblock at once, after the viewer’s blockers were read', async () => {
    const [viewer, blocker, other] = await newUsers(3);
    const owners = [blocker, other];
    expect(await blocking.ownersBlockingViewer(owners, viewer)).toEqual(new Set());
    await blocking.block(blocker, viewer);
    expect(await blocking.ownersBlockingViewer(owners, viewer)).toEqual(new Set([blocker]));
    await blocking.block(other, viewer);
    expect(await blocking.ownersBlockingViewer(owners, viewer)).toEqual(new Set([blocker, other]));
    await blocking.unblock(blocker, viewer);
    expect(await blocking.ownersBlockingViewer(owners, viewer)).toEqual(new Set([other]));
    // A block of someone else leaves this viewer's answer as it is.
    await blocking.block(viewer, blocker);
    expect(await blocking.ownersBlockingViewer(owners, viewer)).toEqual(new Set([other]));
  });

  it('keeps nothing a rolled-back transaction saw of the blocks', async () => {
    const [viewer, blocker] = await newUsers(2);
    const failure = new Error('the request failed half-way');
    await expect(
      inTransaction(dataSource, async (tx) => {
        await tx.manager.insert(Block, { blockerId: blocker, blockedId: viewer, createdAt: clock.now() });
        // On SQLite this read, on the transaction's own connection, sees its block: it must not be kept.
        await blocking.ownersBlockingViewer([blocker], viewer);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await blocking.ownersBlockingViewer([blocker], viewer)).toEqual(new Set());
  });

  it('lists whom I blocked and who blocked me, oldest block first, with the blockers’ presence hidden', async () => {
    const [me, first, second, blocker] = await newUsers(4);
    await users.update(dataSource.manager, blocker, { statusMessage: 'Out fishing', status: 'busy' });
    clock.at = new Date('2026-01-02T00:00:00Z');
    await blocking.block(me, second);
    clock.at = new Date('2026-01-01T00:00:00Z');
    await blocking.block(me, first);
    await blocking.block(blocker, me);
    expect((await blocking.blockedBy(me)).map((record) => record.id)).toEqual([first, second]);
    expect(await blocking.blockersOf(me)).toEqual([
      expect.objectContaining({ id: blocker, status: null, status_message: null }),
    ]);
    expect(await blocking.blockersOf(second)).toEqual([expect.objectContaining({ id: me })]);
  });
});
