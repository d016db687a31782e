import type { BlockingService } from '../blocking/blocking.service.js';
import { Clock } from '../common/clock.service.js';
import type { AppConfig } from '../config/app-config.js';
import type { DomainEventName, DomainEvents } from '../bus/domain-events.js';
import { EventBus } from '../bus/event-bus.service.js';
import type { ContactsService } from '../contacts/contacts.service.js';
import type { User } from '../users/user.entity.js';
import { UserRecordsService } from '../users/user-records.service.js';
import type { UsersService } from '../users/users.service.js';
import type { NewEvent } from '../sse/replay-log.service.js';
import type { StreamHub } from '../sse/stream-hub.service.js';
import type { ChatPushes } from './chat-pushes.service.js';
import { FanoutService } from './fanout.service.js';

const SEEN = new Date('2026-01-01T10:00:00.000Z');

function user(id: number, fields: Partial<User> = {}): User {
  return {
    id,
    email: `u${id}@example.com`,
    nick: `User${id}`,
    status: null,
    statusMessage: null,
    avatarKey: null,
    avatarSmallKey: null,
    lastSeenAt: SEEN,
    lastSeenVisibility: 'everyone',
    createdAt: SEEN,
    ...fields,
  } as User;
}

/** The fan-out with fakes for storage: friends and blocks as given, real record views, a real bus. */
function setUp(options: {
  users: User[];
  friends?: Record<number, number[]>;
  blocked?: [number, number][];
  online?: number[];
  /** How long the n-th read of a user takes (it reads the user as it is when asked). */
  readDelays?: number[];
}) {
  const byId = new Map(options.users.map((u) => [u.id, u]));
  const blocked = (a: number, b: number) =>
    (options.blocked ?? []).some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const delivered: NewEvent[][] = [];
  const bus = new EventBus();
  const findById = async (id: number) => {
    const found = byId.get(id);
    const read = found ? { ...found } : null;
    const delay = options.readDelays?.shift() ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return read;
  };
  const users = {
    findById,
    // Record views read the viewer without a copy; here every read is a copy anyway.
    viewById: findById,
    hidingLastSeenAmong: async (ids: number[]) =>
      new Set(ids.filter((id) => byId.get(id)?.lastSeenVisibility === 'nobody')),
  } as unknown as UsersService;
  const records = new UserRecordsService(
    { publicUrl: 'https://chat.example' } as AppConfig,
    users,
    new Clock(),
  );
  records.usePresence({
    onlineAmong: async (ids) => new Set(ids.filter((id) => options.online?.includes(id))),
  });
  // The service asks the blocking stub below; records need no blocks and no friends of their own here.
  records.useBlocks({ ownersBlockingViewer: async () => new Set() });
  records.useFriends({ friendsAmong: async () => new Set() });
  /** [owner, viewer] of every public record built. */
  const publicViews: [number, number | null][] = [];
  const publicRecord = records.public.bind(records);
  records.public = (owner, viewerId) => (
    publicViews.push([owner.id, viewerId]),
    publicRecord(owner, viewerId)
  );
  const fanout = new FanoutService(
    bus,
    {
      deliver: async (events: NewEvent[]) => (delivered.push(events), events.map((_, n) => n + 1)),
      useReplayFilter: () => undefined,
    } as unknown as StreamHub,
    users,
    records,
    { friendIdsOf: async (id: number) => options.friends?.[id] ?? [] } as unknown as ContactsService,
    { isBlockedEitherWay: async (a: number, b: number) => blocked(a, b) } as unknown as BlockingService,
    { send: async () => undefined } as unknown as ChatPushes,
  );
  fanout.onModuleInit();
  return {
    bus,
    byId,
    publicViews,
    /** Emits, waits for the listeners, and returns what was handed to the gateway: [recipient, event, data]. */
    async raise<K extends DomainEventName>(name: K, payload: DomainEvents[K]) {
      const before = delivered.length;
      bus.emit(name, payload);
      await bus.drain();
      return delivered
        .slice(before)
        .flat()
        .map((e) => [e.userId, e.event, JSON.parse(e.data)] as [number, string, Record<string, unknown>]);
    },
    delivered,
  };
}

describe('event fan-out: who hears what', () => {
  it('user_updated: the own record to the user, one public record to every friend', async () => {
    const ann = user(1, { statusMessage: 'hi', mobileNumber: '+48 600' });
    const { raise, delivered } = setUp({
      users: [ann, user(2), user(3)],
      friends: { 1: [2, 3] },
    });
    const sent = await raise('user.updated', { userId: 1 });

    expect(sent.map(([to, event]) => [to, event])).toEqual([
      [1, 'user_updated'],
      [2, 'user_updated'],
      [3, 'user_updated'],
    ]);
    const own = sent[0][2].user as Record<string, unknown>;
    expect(own).toMatchObject({ id: 1, email: 'u1@example.com', mobile_number: '+48 600' });
    for (const [, , data] of sent.slice(1)) {
      expect(data.user).toMatchObject({ id: 1, status_message: 'hi' });
      expect(data.user).not.toHaveProperty('email');
      expect(data.user).not.toHaveProperty('mobile_number');
    }
    // Built and serialised once for all friends: the very same string.
    expect(
      new Set(
        delivered
          .flat()
          .slice(1)
          .map((e) => e.data),
      ).size,
    ).toBe(1);
  });

  it('two changes of a user made right after each other reach the gateway in that order, the first one’s reads slow', async () => {
    const { bus, byId, delivered } = setUp({
      users: [user(1, { statusMessage: 'first' }), user(2)],
      friends: { 1: [2] },
      readDelays: [30, 0],
    });
    bus.emit('user.updated', { userId: 1 });
    await Promise.resolve(); // the first fan-out has read the user as the first change left it
    byId.set(1, user(1, { statusMessage: 'second' }));
    bus.emit('user.updated', { userId: 1 });
    await bus.drain();
    // The friend hears of both and is left with the second: a client applies user_updated in id order.
    const toFriend = delivered.flat().filter((event) => event.userId === 2);
    expect(toFriend).toHaveLength(2);
    expect(JSON.parse(toFriend[1].data).user.status_message).toBe('second');
  });

  it('user_updated of a user without friends reaches only the user', async () => {
    const { raise } = setUp({ users: [user(1)] });
    expect((await raise('user.updated', { userId: 1 })).map(([to]) => to)).toEqual([1]);
  });

  it('presence goes to friends only, never to the user, as {user_id, is_online, status, last_seen_at, last_seen_hint}', async () => {
    const { raise } = setUp({ users: [user(1, { status: 'busy' })], friends: { 1: [2, 3] }, online: [1] });
    const sent = await raise('presence.changed', { userId: 1, becameInvisible: false, onlineOnly: true });
    const data = {
      user_id: 1,
      is_online: true,
      status: 'busy',
      last_seen_at: SEEN.toISOString(),
      last_seen_hint: null,
    };
    expect(sent).toEqual([
      [2, 'presence', data],
      [3, 'presence', data],
    ]);
  });

  it('splits friends by last-seen privacy: one who shows theirs to nobody gets the hint, and no connect or disconnect', async () => {
    const ann = user(1, { status: 'busy', lastSeenAt: new Date(Date.now() - 3600_000) });
    const { raise } = setUp({
      users: [ann, user(2), user(3, { lastSeenVisibility: 'nobody' })],
      friends: { 1: [2, 3] },
      online: [1],
    });
    const exact = await raise('presence.changed', { userId: 1, becameInvisible: false, onlineOnly: true });
    expect(exact.map(([to, , data]) => [to, data.is_online, data.last_seen_hint])).toEqual([[2, true, null]]);
    const status = await raise('presence.changed', { userId: 1, becameInvisible: false, onlineOnly: false });
    expect(status).toEqual([
      [2, 'presence', expect.objectContaining({ is_online: true, last_seen_hint: null })],
      [
        3,
        'presence',
        { user_id: 1, is_online: false, status: 'busy', last_seen_at: null, last_seen_hint: 'recently' },
      ],
    ]);
    const updated = await raise('user.updated', { userId: 1 });
    expect(
      updated
        .slice(1)
        .map(([to, , data]) => [to, (data.user as { last_seen_hint: string | null }).last_seen_hint]),
    ).toEqual([
      [2, null],
      [3, 'recently'],
    ]);
  });

  it('gives every friend the hint of a user who shows their last seen to nobody', async () => {
    const { raise } = setUp({
      users: [user(1, { lastSeenVisibility: 'nobody', lastSeenAt: new Date(Date.now() - 10 * 86_400_000) })],
      friends: { 1: [2, 3] },
    });
    expect(await raise('presence.changed', { userId: 1, becameInvisible: false, onlineOnly: true })).toEqual(
      [],
    );
    const updated = await raise('user.updated', { userId: 1 });
    expect(
      updated.slice(1).map(([to, , data]) => [to, (data.user as { last_seen_hint: string }).last_seen_hint]),
    ).toEqual([
      [2, 'within_month'],
      [3, 'within_month'],
    ]);
  });

  it('says nothing about an invisible user’s presence, except that they vanished when they went invisible', async () => {
    const { raise } = setUp({ users: [user(1, { status: 'invisible' })], friends: { 1: [2] }, online: [1] });
    expect(await raise('presence.changed', { userId: 1, becameInvisible: false, onlineOnly: true })).toEqual(
      [],
    );
    expect(await raise('presence.changed', { userId: 1, becameInvisible: true, onlineOnly: false })).toEqual([
      [
        2,
        'presence',
        {
          user_id: 1,
          is_online: false,
          status: null,
          last_seen_at: SEEN.toISOString(),
          last_seen_hint: null,
        },
      ],
    ]);
  });

  it('contact_added goes to the added user only, with the adder as they see them', async () => {
    const { raise, publicViews } = setUp({ users: [user(1), user(2)] });
    const sent = await raise('contact.added', { userId: 1, contactId: 2, notify: true });
    expect(sent.map(([to, event, data]) => [to, event, (data.user as { id: number }).id])).toEqual([
      [2, 'contact_added', 1],
    ]);
    expect(publicViews).toEqual([[1, 2]]);
  });

  it('contact_added is not sent again for a pair already told this hour', async () => {
    const { raise } = setUp({ users: [user(1), user(2)] });
    expect(await raise('contact.added', { userId: 1, contactId: 2, notify: false })).toEqual([]);
  });

  it('contact_added is not sent when a block stands between the two, either way', async () => {
    for (const pair of [
      [1, 2],
      [2, 1],
    ] as [number, number][]) {
      const { raise } = setUp({ users: [user(1), user(2)], blocked: [pair] });
      expect(await raise('contact.added', { userId: 1, contactId: 2, notify: true })).toEqual([]);
    }
  });

  it('blocked and unblocked go to both sides, each with the other’s id', async () => {
    const { raise } = setUp({ users: [user(1), user(2)] });
    expect(await raise('blocking.blocked', { blockerId: 1, blockedId: 2 })).toEqual([
      [1, 'blocked', { user_id: 2 }],
      [2, 'blocked', { user_id: 1 }],
    ]);
    expect(await raise('blocking.unblocked', { blockerId: 2, blockedId: 1 })).toEqual([
      [2, 'unblocked', { user_id: 1 }],
      [1, 'unblocked', { user_id: 2 }],
    ]);
  });
});
