import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { User } from './user.entity.js';
import { type OwnRecord, type PublicRecord, toOwnRecord, toPublicRecord } from './user-records.js';
import { type BlockSource, type PresenceSource } from './view-sources.js';

const NOBODY_ONLINE: PresenceSource = { onlineAmong: async () => new Set() };
const NO_BLOCKS: BlockSource = { ownersBlockingViewer: async () => new Set() };

/** The one place that turns users into API records (own and public), with presence and blocking applied. */
@Injectable()
export class UserRecordsService {
  private presence: PresenceSource = NOBODY_ONLINE;
  private blocks: BlockSource = NO_BLOCKS;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  usePresence(source: PresenceSource): void {
    this.presence = source;
  }

  useBlocks(source: BlockSource): void {
    this.blocks = source;
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

  /** The record as any signed-in viewer the user has not blocked sees it (their friends, say). */
  async publicToUnblocked(user: User): Promise<PublicRecord> {
    const online = await this.presence.onlineAmong([user.id]);
    return toPublicRecord(user, {
      publicUrl: this.config.publicUrl,
      isOnline: online.has(user.id),
      anonymousViewer: false,
      viewerBlockedByOwner: false,
    });
  }

  /** Whether the owner's presence and profile details are hidden from the viewer (the owner blocked them). */
  async isHiddenFrom(ownerId: number, viewerId: number): Promise<boolean> {
    return (await this.blocks.ownersBlockingViewer([ownerId], viewerId)).has(ownerId);
  }

  /** Records of many users as one viewer sees them: one presence and one block query for all. */
  async publicMany(users: User[], viewerId: number | null): Promise<PublicRecord[]> {
    if (users.length === 0) return [];
    const ids = users.map((user) => user.id);
    const [online, blocking] = await Promise.all([
      this.presence.onlineAmong(ids),
      viewerId === null
        ? Promise.resolve(new Set<number>())
        : this.blocks.ownersBlockingViewer(ids, viewerId),
    ]);
    return users.map((user) =>
      toPublicRecord(user, {
        publicUrl: this.config.publicUrl,
        isOnline: online.has(user.id),
        anonymousViewer: viewerId === null,
        viewerBlockedByOwner: blocking.has(user.id),
      }),
    );
  }
}
