import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { seesExactLastSeen } from './last-seen-privacy.js';
import { User } from './user.entity.js';
import { type OwnRecord, type PublicRecord, toOwnRecord, toPublicRecord } from './user-records.js';
import { UsersService } from './users.service.js';
import { type BlockSource, type FriendSource, type PresenceSource } from './view-sources.js';

const NOBODY_ONLINE: PresenceSource = { onlineAmong: async () => new Set() };
const NO_BLOCKS: BlockSource = { ownersBlockingViewer: async () => new Set() };
const NO_FRIENDS: FriendSource = { friendsAmong: async () => new Set() };

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
export class UserRecordsService {
  private presence: PresenceSource = NOBODY_ONLINE;
  private blocks: BlockSource = NO_BLOCKS;
  private friends: FriendSource = NO_FRIENDS;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  usePresence(source: PresenceSource): void {
    this.presence = source;
  }

  useBlocks(source: BlockSource): void {
    this.blocks = source;
  }

  useFriends(source: FriendSource): void {
    this.friends = source;
  }

  async own(user: User, authToken: string | null = null): Promise<OwnRecord> {
    const online = await this.presence.onlineAmong([user.id]);
    return toOwnRecord(user, { publicUrl: this.config.publicUrl, isOnline: online.has(user.id), authToken });
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
  async publicMany(users: User[], viewerId: number | null): Promise<PublicRecord[]> {
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
      toPublicRecord(user, {
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

  private async withheldAmong(owners: User[], viewerId: number | null): Promise<Set<number>> {
    const viewer = viewerId === null ? null : await this.users.findById(viewerId);
    const viewerSetting = viewer?.lastSeenVisibility ?? null;
    const others = owners.filter((owner) => owner.id !== viewer?.id);
    // Friendship matters only where a side shows to contacts and neither shows to nobody.
    const asked = others.filter(
      (owner) =>
        viewer !== null &&
        owner.lastSeenVisibility !== 'nobody' &&
        viewerSetting !== 'nobody' &&
        (owner.lastSeenVisibility === 'contacts' || viewerSetting === 'contacts'),
    );
    const friends =
      viewer === null || asked.length === 0
        ? new Set<number>()
        : await this.friends.friendsAmong(
            viewer.id,
            asked.map((owner) => owner.id),
          );
    return new Set(
      others
        .filter((owner) => !seesExactLastSeen(owner.lastSeenVisibility, viewerSetting, friends.has(owner.id)))
        .map((owner) => owner.id),
    );
  }
}
