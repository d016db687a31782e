import { Injectable, type OnModuleInit } from '@nestjs/common';
import { BlockingService } from '../blocking/blocking.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import { ContactsService } from '../contacts/contacts.service.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import type { LoggedEvent, NewEvent } from '../sse/replay-log.js';
import { StreamHub } from '../sse/stream-hub.service.js';

/**
 * Turns domain events into stream events. Recipients are computed once, here, where
 * the event is raised: the user and their friends (friends already exclude blocked pairs); each
 * distinct payload is serialised once.
 */
@Injectable()
export class FanoutService implements OnModuleInit {
  constructor(
    private readonly events: EventBus,
    private readonly gateway: StreamHub,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly contacts: ContactsService,
    private readonly blocking: BlockingService,
  ) {}

  onModuleInit(): void {
    this.gateway.useReplayFilter((userId, events) => this.replayed(userId, events));
    this.events.on('user.updated', ({ userId }) => this.userUpdated(userId));
    this.events.on('presence.changed', ({ userId, becameInvisible }) =>
      this.presenceChanged(userId, becameInvisible),
    );
    this.events.on('contact.added', ({ userId, contactId }) => this.contactAdded(userId, contactId));
    this.events.on('blocking.blocked', ({ blockerId, blockedId }) =>
      this.blockChanged('blocked', blockerId, blockedId),
    );
    this.events.on('blocking.unblocked', ({ blockerId, blockedId }) =>
      this.blockChanged('unblocked', blockerId, blockedId),
    );
    this.events.on('account.deleted', ({ userId, friendIds }) => this.userDeleted(userId, friendIds));
  }

  /**
   * A replay applies the blocks in force when it is sent: nothing about a user who blocked the
   * reader, or whom the reader blocked, since the events were logged (the `blocked` / `unblocked`
   * events themselves still go).
   */
  async replayed(userId: number, events: LoggedEvent[]): Promise<LoggedEvent[]> {
    const subjects = events.map((event) => replaySubject(event, userId));
    const others = [...new Set(subjects.filter((id): id is number => id !== null))];
    if (others.length === 0) return events;
    const blocked = await this.blocking.blockedEitherWayAmong(userId, others);
    if (blocked.size === 0) return events;
    return events.filter((_event, n) => !blocked.has(subjects[n] as number));
  }

  /** The user gets the own record; friends the public record. */
  async userUpdated(userId: number): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) return;
    const [own, friends] = await Promise.all([this.records.own(user), this.contacts.friendIdsOf(userId)]);
    const events: NewEvent[] = [{ userId, event: 'user_updated', data: JSON.stringify({ user: own }) }];
    if (friends.length > 0) {
      // No friend is blocked by the user (friendIdsOf excludes blocked pairs): one view serves all.
      const data = JSON.stringify({ user: await this.records.publicToUnblocked(user) });
      for (const friendId of friends) events.push({ userId: friendId, event: 'user_updated', data });
    }
    await this.gateway.deliver(events);
  }

  /** Friends learn online/offline/status; nothing about an invisible user but the moment they vanish. */
  async presenceChanged(userId: number, becameInvisible: boolean): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || (user.status === 'invisible' && !becameInvisible)) return;
    const friends = await this.contacts.friendIdsOf(userId);
    if (friends.length === 0) return;
    const record = await this.records.publicToUnblocked(user);
    const data = JSON.stringify({
      user_id: userId,
      is_online: record.is_online,
      status: record.status,
      last_seen_at: record.last_seen_at,
    });
    await this.gateway.deliver(friends.map((friendId) => ({ userId: friendId, event: 'presence', data })));
  }

  /** The user who was added hears of it, unless a block stands between the two. */
  async contactAdded(userId: number, contactId: number): Promise<void> {
    if (await this.blocking.isBlockedEitherWay(userId, contactId)) return;
    const user = await this.users.findById(userId);
    if (!user) return;
    const data = JSON.stringify({ user: await this.records.public(user, contactId) });
    await this.gateway.deliver([{ userId: contactId, event: 'contact_added', data }]);
  }

  /** The friends of a deleted account (as they were when it went) drop it from their lists. */
  async userDeleted(userId: number, friendIds: number[]): Promise<void> {
    const data = JSON.stringify({ user_id: userId });
    await this.gateway.deliver(
      friendIds.map((friendId) => ({ userId: friendId, event: 'user_deleted', data })),
    );
  }

  /** Both sides learn of a block or unblock, each with the other's id. */
  async blockChanged(event: 'blocked' | 'unblocked', blockerId: number, blockedId: number): Promise<void> {
    await this.gateway.deliver([
      { userId: blockerId, event, data: JSON.stringify({ user_id: blockedId }) },
      { userId: blockedId, event, data: JSON.stringify({ user_id: blockerId }) },
    ]);
  }
}

/** The other user a logged event tells about (`presence`, `user_updated`, `contact_added`), or null. */
function replaySubject(event: LoggedEvent, readerId: number): number | null {
  if (event.event !== 'presence' && event.event !== 'user_updated' && event.event !== 'contact_added') {
    return null;
  }
  const data = JSON.parse(event.data) as { user_id?: number; user?: { id?: number } };
  const id = data.user_id ?? data.user?.id ?? null;
  return id === readerId ? null : id;
}
