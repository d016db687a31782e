import { Injectable } from '@nestjs/common';
import { BlockingService } from '../blocking/blocking.service.js';
import { ContactsService } from '../contacts/contacts.service.js';
import { AccessTokenKeys } from '../sessions/access-token-keys.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { isDisabled } from '../users/account-state.js';
import type { PublicRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { UsersService } from '../users/users.service.js';

/** RFC 7662's answer: `active: false` says nothing more about a token. */
export type Introspection =
  { active: true; user_id: number; session_id: number; expires_at: string } | { active: false };

export interface Relation {
  from: number;
  to: number;
  /** Neither blocked the other, both exist and neither is disabled. */
  can_message: boolean;
  blocked_by_from: boolean;
  blocked_by_to: boolean;
  /** `to` is among `from`'s contacts. */
  contact: boolean;
  /** Both added each other and no block stands between them. */
  friends: boolean;
}

export interface ServiceUserRecord extends PublicRecord {
  confirmed: boolean;
  disabled: boolean;
}

/**
 * What other backends ask: is this access token live, who may write to whom, and who these users
 * are. Every answer comes from the modules that own the facts (sessions, blocking, contacts,
 * users), in a few queries for a whole batch.
 */
@Injectable()
export class ServiceApiService {
  constructor(
    private readonly tokenKeys: AccessTokenKeys,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly blocking: BlockingService,
    private readonly contacts: ContactsService,
  ) {}

  /** Whether the token is valid and its session live now, as the database says (not a cache). */
  async introspect(token: string): Promise<Introspection> {
    try {
      const user = await this.tokenKeys.verify(token);
      if (!(await this.sessions.isLive(user.sessionId, user.userId))) return { active: false };
      return {
        active: true,
        user_id: user.userId,
        session_id: user.sessionId,
        expires_at: new Date(user.expiresAtMs).toISOString(),
      };
    } catch {
      return { active: false };
    }
  }

  /** Each pair as asked, in order: blocks both ways, contact, friendship, and whether `from` may write to `to`. */
  async relations(pairs: [number, number][]): Promise<Relation[]> {
    const ids = [...new Set(pairs.flat())];
    const users = await this.users.findManyByIds(ids);
    const usable = new Set(users.filter((user) => !isDisabled(user)).map((user) => user.id));
    const tosOf = groupBy(pairs, 0);
    const fromsOf = groupBy(pairs, 1);
    // Who blocked whom: per `from`, which of its `to`s blocked it; per `to`, which `from`s blocked it.
    const blockedFrom = new Set<string>();
    const contactOf = new Set<string>();
    const friendOf = new Set<string>();
    await Promise.all([
      ...[...tosOf].map(async ([from, tos]) => {
        // friendsAmong: of `tos`, those who added `from` back, with no block between them.
        const [blockers, contactIds, addedBack] = await Promise.all([
          this.blocking.ownersBlockingViewer(tos, from),
          this.contacts.contactIdsOf(from),
          this.contacts.friendsAmong(from, tos),
        ]);
        const contacts = new Set(contactIds);
        for (const to of tos) {
          if (blockers.has(to)) blockedFrom.add(key(to, from));
          if (contacts.has(to)) contactOf.add(key(from, to));
          if (contacts.has(to) && addedBack.has(to)) friendOf.add(key(from, to));
        }
      }),
      ...[...fromsOf].map(async ([to, froms]) => {
        const blockers = await this.blocking.ownersBlockingViewer(froms, to);
        for (const from of froms) if (blockers.has(from)) blockedFrom.add(key(from, to));
      }),
    ]);
    return pairs.map(([from, to]) => {
      const blockedByFrom = blockedFrom.has(key(from, to));
      const blockedByTo = blockedFrom.has(key(to, from));
      const present = usable.has(from) && usable.has(to);
      return {
        from,
        to,
        can_message: present && !blockedByFrom && !blockedByTo,
        blocked_by_from: blockedByFrom,
        blocked_by_to: blockedByTo,
        contact: contactOf.has(key(from, to)),
        friends: present && friendOf.has(key(from, to)),
      };
    });
  }

  /** The users that exist, in the order asked: as an anonymous caller sees them, plus their account state. */
  async usersByIds(ids: number[]): Promise<ServiceUserRecord[]> {
    const users = await this.users.findManyByIds(ids);
    const records = await this.records.publicMany(users, null);
    return records.map((record, index) => ({
      ...record,
      confirmed: users[index].confirmedAt !== null,
      disabled: isDisabled(users[index]),
    }));
  }
}

const key = (a: number, b: number) => `${a}:${b}`;

/** The pairs' other ends, by the id at `side` (0: from, 1: to). */
function groupBy(pairs: [number, number][], side: 0 | 1): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const pair of pairs) {
    const list = groups.get(pair[side]) ?? [];
    if (!list.includes(pair[1 - side])) list.push(pair[1 - side]);
    groups.set(pair[side], list);
  }
  return groups;
}
