import { Injectable, type OnModuleInit } from '@nestjs/common';
import { BlockingService } from '../blocking/blocking.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import { ContactsService } from '../contacts/contacts.service.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';
import { pushMessages } from '../devices/push-messages.js';
import { ChatPushes } from './chat-pushes.service.js';
import type { LoggedEvent, NewEvent } from '../sse/replay-log.service.js';
import { StreamHub } from '../sse/stream-hub.service.js';

/**
 * Turns domain events into stream events. Recipients are computed once, here, where
 * the event is raised: the user and their friends (friends already exclude blocked pairs); each
 * distinct payload is serialised once.
 */
@Injectable()
export class FanoutService implements OnModuleInit {
  /** Per user, the end of the last fan-out about them that was started (see `inTurn`). */
  private readonly turns = new Map<number, Promise<void>>();

  constructor(
    private readonly events: EventBus,
    private readonly gateway: StreamHub,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly contacts: ContactsService,
    private readonly blocking: BlockingService,
    private readonly chatPushes: ChatPushes,
  ) {}

  onModuleInit(): void {
    this.gateway.useReplayFilter((userId, events) => this.replayed(userId, events));
    this.events.on('user.updated', ({ userId }) => this.inTurn(userId, () => this.userUpdated(userId)));
    this.events.on('presence.changed', ({ userId, becameInvisible, onlineOnly }) =>
      this.inTurn(userId, () => this.presenceChanged(userId, becameInvisible, onlineOnly)),
    );
    this.events.on('contact.added', ({ userId, contactId, notify }) =>
      notify ? this.inTurn(userId, () => this.contactAdded(userId, contactId)) : undefined,
    );
    this.events.on('blocking.blocked', ({ blockerId, blockedId }) =>
      this.inTurn(blockerId, () => this.blockChanged('blocked', blockerId, blockedId)),
    );
    this.events.on('blocking.unblocked', ({ blockerId, blockedId }) =>
      this.inTurn(blockerId, () => this.blockChanged('unblocked', blockerId, blockedId)),
    );
    this.events.on('account.deleted', ({ userId, friendIds }) =>
      this.inTurn(userId, () => this.userDeleted(userId, friendIds)),
    );
  }

  /**
   * Runs a fan-out about `userId` once every earlier one about them (on this instance) is done, so
   * their events take ids in the order of the changes. Run side by side, a second change whose
   * reads finish first takes the lower id, and a client, which applies events in the order of
   * their ids, is left showing the first change. Fan-outs about different users still run at once.
   */
  private inTurn(userId: number, fanout: () => Promise<void>): Promise<void> {
    const run = (this.turns.get(userId) ?? Promise.resolve()).then(fanout);
    // The next one waits for this one's end, whether it failed or not (the event bus logs a failure).
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.turns.set(userId, done);
    void done.then(() => {
      if (this.turns.get(userId) === done) this.turns.delete(userId);
    });
    return run;
  }

  /**
   * A replay applies the blocks in force when it is sent: nothing about a user who blocked the
   * reader, or whom the reader blocked, since the events were logged (the `blocked` / `unblocked`
   * events themselves still go); and every other user's record or presence in it is rebuilt
   * under the privacy in force now (see `rebuilt`).
   */
  async replayed(userId: number, events: LoggedEvent[]): Promise<LoggedEvent[]> {
    const subjects = events.map((event) => replaySubject(event, userId));
    const others = [...new Set(subjects.filter((id): id is number => id !== null))];
    if (others.length === 0) return events;
    const blocked = await this.blocking.blockedEitherWayAmong(userId, others);
    const allowed =
      blocked.size === 0 ? events : events.filter((_event, n) => !blocked.has(subjects[n] as number));
    return this.rebuilt(userId, allowed);
  }

  /** The user gets the own record; friends the public record (split by last-seen privacy). */
  async userUpdated(userId: number): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) return;
    const [own, friends] = await Promise.all([this.records.own(user), this.contacts.friendIdsOf(userId)]);
    const events: NewEvent[] = [{ userId, event: 'user_updated', data: JSON.stringify({ user: own }) }];
    // No friend is blocked by the user (friendIdsOf excludes blocked pairs): at most two views serve all.
    for (const { record, viewerIds } of await this.records.publicForFriends(user, friends)) {
      const data = JSON.stringify({ user: record });
      for (const friendId of viewerIds) events.push({ userId: friendId, event: 'user_updated', data });
    }
    await this.gateway.deliver(events);
  }

  /**
   * Friends learn online/offline/status; nothing about an invisible user but the moment they vanish.
   * A friend whom last-seen privacy keeps from the exact state hears of status changes only: an
   * event at each connect and disconnect would tell the exact times the hint hides.
   */
  async presenceChanged(userId: number, becameInvisible: boolean, onlineOnly: boolean): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || (user.status === 'invisible' && !becameInvisible)) return;
    const friends = await this.contacts.friendIdsOf(userId);
    if (friends.length === 0) return;
    const events: NewEvent[] = [];
    for (const { record, viewerIds } of await this.records.publicForFriends(user, friends)) {
      if (onlineOnly && record.last_seen_hint !== null) continue;
      const data = JSON.stringify({
        user_id: userId,
        is_online: record.is_online,
        status: record.status,
        last_seen_at: record.last_seen_at,
        last_seen_hint: record.last_seen_hint,
      });
      for (const friendId of viewerIds) events.push({ userId: friendId, event: 'presence', data });
    }
    await this.gateway.deliver(events);
  }

  /**
   * A replay shows no more of others than the rules in force now allow. A record of another user
   * (`user_updated`, `contact_added`) is today's record as the reader sees it now, never the one
   * logged: an owner who has since hidden their last seen, gone invisible or changed their profile
   * is shown as they are (an owner who is gone is not shown). A `presence` event keeps its moment,
   * unless today's view withholds the exact state: then its presence fields are today's (no times
   * sent before).
   */
  private async rebuilt(readerId: number, events: LoggedEvent[]): Promise<LoggedEvent[]> {
    type Parsed =
      { kind: 'record'; data: { user: { id: number } } } | { kind: 'presence'; data: PresenceData };
    const parse = (event: LoggedEvent): (Parsed & { ownerId: number }) | null => {
      if (event.event === 'presence') {
        const data = JSON.parse(event.data) as PresenceData;
        return data.user_id === readerId ? null : { kind: 'presence', data, ownerId: data.user_id };
      }
      if (event.event === 'user_updated' || event.event === 'contact_added') {
        const data = JSON.parse(event.data) as { user: { id: number } };
        return data.user.id === readerId ? null : { kind: 'record', data, ownerId: data.user.id };
      }
      return null;
    };
    const parsed = events.map(parse);
    const ownerIds = [...new Set(parsed.flatMap((subject) => (subject ? [subject.ownerId] : [])))];
    if (ownerIds.length === 0) return events;
    const now = new Map(
      (await this.records.publicMany(await this.users.findByIds(ownerIds), readerId)).map((record) => [
        record.id,
        record,
      ]),
    );
    return events.flatMap((event, n): LoggedEvent[] => {
      const subject = parsed[n];
      if (!subject) return [event];
      const current = now.get(subject.ownerId);
      if (subject.kind === 'record') {
        return current ? [{ ...event, data: JSON.stringify({ ...subject.data, user: current }) }] : [];
      }
      if (!current || current.last_seen_at !== null || current.is_online) return [event];
      const hidden = { is_online: false, last_seen_at: null, last_seen_hint: current.last_seen_hint };
      const status = current.status === null ? { status: null } : {};
      return [{ ...event, data: JSON.stringify({ ...subject.data, ...hidden, ...status }) }];
    });
  }

  /**
   * The user who was added hears of it, unless a block stands between the two: on their streams,
   * and on their phones if no stream took it.
   */
  async contactAdded(userId: number, contactId: number): Promise<void> {
    if (await this.blocking.isBlockedEitherWay(userId, contactId)) return;
    const user = await this.users.findById(userId);
    if (!user) return;
    const data = JSON.stringify({ user: await this.records.public(user, contactId) });
    const [eventId] = await this.gateway.deliver([
      { userId: contactId, event: 'contact_added', data, receipt: true },
    ]);
    await this.chatPushes.send(contactId, pushMessages.contactAdded(user), eventId);
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

/** A logged `presence` event's data. */
interface PresenceData {
  user_id: number;
  is_online: boolean;
  status: unknown;
  last_seen_at: string | null;
  last_seen_hint: string | null;
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
