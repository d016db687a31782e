import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { seesExactLastSeen } from './last-seen-privacy.js';
import { User } from './user.entity.js';
import {
  type OperatorRecord,
  type OwnRecord,
  type PublicRecord,
  toOperatorRecord,
  publicRecordIn,
  publicView,
  type PublicView,
  toOwnRecord,
  toPublicRecord,
} from './user-records.js';
import { PublicRecordTexts } from './public-record-texts.js';
import { UsersService } from './users.service.js';
import { type BlockSource, type FriendSource, type PresenceSource } from './view-sources.js';

/** One public record and the users who are to see it (an event's recipients, split by what they may see). */
export interface RecordForGroup {
  record: PublicRecord;
  viewerIds: number[];
}

/**
 * The one place that turns users into API records (own and public), with presence, blocking and
 * last-seen privacy applied.
 */
@Injectable()
export class UserRecordsService implements OnApplicationBootstrap {
  private presenceSource: PresenceSource | null = null;
  private blockSource: BlockSource | null = null;
  private friendSource: FriendSource | null = null;
  private readonly texts: PublicRecordTexts;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {
    this.texts = new PublicRecordTexts(config.publicUrl);
  }

  usePresence(source: PresenceSource): void {
    this.presenceSource = source;
  }

  useBlocks(source: BlockSource): void {
    this.blockSource = source;
  }

  useFriends(source: FriendSource): void {
    this.friendSource = source;
  }

  /**
   * Every source registers itself while the modules initialise: one missing by now would show
   * everybody offline and nobody blocked, so the application refuses to start instead.
   */
  onApplicationBootstrap(): void {
    const missing = [
      this.presenceSource ? null : 'presence',
      this.blockSource ? null : 'blocking',
      this.friendSource ? null : 'contacts',
    ].filter((name) => name !== null);
    if (missing.length > 0) {
      throw new Error(`UserRecordsService: no source registered for ${missing.join(', ')}`);
    }
  }

  private get presence(): PresenceSource {
    return registered(this.presenceSource, 'presence');
  }

  private get blocks(): BlockSource {
    return registered(this.blockSource, 'blocking');
  }

  private get friends(): FriendSource {
    return registered(this.friendSource, 'contacts');
  }

  async own(user: User, authToken: string | null = null): Promise<OwnRecord> {
    const online = await this.presence.onlineAmong([user.id]);
    return toOwnRecord(user, { publicUrl: this.config.publicUrl, isOnline: online.has(user.id), authToken });
  }

  /** Users as an operator sees them (admin API, CLI), with one presence query for all. */
  async operatorMany(users: User[]): Promise<OperatorRecord[]> {
    const online = await this.presence.onlineAmong(users.map((user) => user.id));
    const publicUrl = this.config.publicUrl;
    return users.map((user) => toOperatorRecord(user, { publicUrl, isOnline: online.has(user.id) }));
  }

  /** The record as the viewer sees it; `null`: an anonymous caller, who is told no presence. */
  async public(user: User, viewerId: number | null): Promise<PublicRecord> {
    const [record] = await this.publicMany([user], viewerId);
    return record;
  }

  /** Whether the owner's presence and profile details are hidden from the viewer (the owner blocked them). */
  async isHiddenFrom(ownerId: number, viewerId: number): Promise<boolean> {
    return (await this.blocks.ownersBlockingViewer([ownerId], viewerId)).has(ownerId);
  }

  /** Whether last-seen privacy keeps the owner's exact last seen and online state from the viewer. */
  async lastSeenWithheld(owner: User, viewerId: number | null): Promise<boolean> {
    return (await this.withheldAmong([owner], viewerId)).has(owner.id);
  }

  /** Records of many users as one viewer sees them: one presence, block and friendship query for all. */
  async publicMany(users: readonly Readonly<User>[], viewerId: number | null): Promise<PublicRecord[]> {
    const views = await this.publicViews(users, viewerId);
    return users.map((user, index) => publicRecordIn(user, views[index], this.config.publicUrl));
  }

  /**
   * As `publicMany`, each record as its JSON text (`JSON.stringify` of it), for an answer written
   * whole: the texts are kept per user and view (PublicRecordTexts), so a batch that asks for the
   * same users again writes none of them.
   */
  async publicManyJson(users: readonly Readonly<User>[], viewerId: number | null): Promise<string[]> {
    const views = await this.publicViews(users, viewerId);
    return users.map((user, index) => this.texts.text(user, views[index]));
  }

  /** What the viewer sees of each user (`publicView`): one presence, block and friendship query for all. */
  private async publicViews(
    users: readonly Readonly<User>[],
    viewerId: number | null,
  ): Promise<PublicView[]> {
    if (users.length === 0) return [];
    const ids = users.map((user) => user.id);
    const [online, blocking, withheld] = await Promise.all([
      this.presence.onlineAmong(ids),
      viewerId === null
        ? Promise.resolve(new Set<number>())
        : this.blocks.ownersBlockingViewer(ids, viewerId),
      this.withheldAmong(users, viewerId),
    ]);
    const nowMs = this.clock.nowMs();
    return users.map((user) =>
      publicView(user, {
        publicUrl: this.config.publicUrl,
        isOnline: online.has(user.id),
        anonymousViewer: viewerId === null,
        viewerBlockedByOwner: blocking.has(user.id),
        lastSeenWithheld: withheld.has(user.id),
        nowMs,
      }),
    );
  }

  /**
   * The user's public record for each of their friends, who see it alike but for last-seen
   * privacy: at most two records (exact, withheld), each with its viewers. The friends are
   * computed once by the caller; blocks are already excluded from them.
   */
  async publicForFriends(user: User, friendIds: number[]): Promise<RecordForGroup[]> {
    if (friendIds.length === 0) return [];
    const online = (await this.presence.onlineAmong([user.id])).has(user.id);
    // Friends see an owner who shows to contacts; a friend who shows to nobody sees nobody exactly.
    const hiding =
      user.lastSeenVisibility === 'nobody'
        ? new Set(friendIds)
        : await this.users.hidingLastSeenAmong(friendIds);
    const view = (lastSeenWithheld: boolean) =>
      toPublicRecord(user, {
        publicUrl: this.config.publicUrl,
        isOnline: online,
        anonymousViewer: false,
        viewerBlockedByOwner: false,
        lastSeenWithheld,
        nowMs: this.clock.nowMs(),
      });
    const exact = friendIds.filter((id) => !hiding.has(id));
    const withheld = friendIds.filter((id) => hiding.has(id));
    return [
      ...(exact.length > 0 ? [{ record: view(false), viewerIds: exact }] : []),
      ...(withheld.length > 0 ? [{ record: view(true), viewerIds: withheld }] : []),
    ];
  }

  private async withheldAmong(
    owners: readonly Readonly<User>[],
    viewerId: number | null,
  ): Promise<Set<number>> {
    const viewer = viewerId === null ? null : await this.users.viewById(viewerId);
    const viewerSetting = viewer?.lastSeenVisibility ?? null;
    const withheld = new Set<number>();
    // Friendship matters only where a side shows to contacts and neither shows to nobody.
    const asked: Readonly<User>[] = [];
    for (const owner of owners) {
      if (owner.id === viewer?.id) continue;
      const setting = owner.lastSeenVisibility;
      if (
        viewer !== null &&
        setting !== 'nobody' &&
        viewerSetting !== 'nobody' &&
        (setting === 'contacts' || viewerSetting === 'contacts')
      ) {
        asked.push(owner);
      } else if (!seesExactLastSeen(setting, viewerSetting, false)) {
        withheld.add(owner.id);
      }
    }
    if (viewer !== null && asked.length > 0) {
      const friends = await this.friends.friendsAmong(
        viewer.id,
        asked.map((owner) => owner.id),
      );
      for (const owner of asked) {
        if (!seesExactLastSeen(owner.lastSeenVisibility, viewerSetting, friends.has(owner.id))) {
          withheld.add(owner.id);
        }
      }
    }
    return withheld;
  }
}

function registered<T>(source: T | null, name: string): T {
  if (source === null) throw new Error(`UserRecordsService: no source registered for ${name}`);
  return source;
}
