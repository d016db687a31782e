import { readFileSync } from 'node:fs';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { type EntityManager, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type Transaction } from '../database/transaction.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { AvatarImage } from './avatar.entity.js';
import { avatarRecord } from '../users/user-records.js';
import type { User } from '../users/user.entity.js';
import { AvatarFetcher } from './avatar-fetch.js';
import {
  decodeAvatarDataUrl,
  type EncodedImage,
  processAvatar,
  type ProcessedAvatar,
} from './avatar-image.js';

export interface StoredAvatarKeys {
  avatarKey: string;
  avatarSmallKey: string;
}

export interface ServedImage {
  data: Buffer;
  contentType: string;
  etag: string;
}

/** Memory for recently served images; a full avatar can weigh a few hundred kB. */
const CACHE_BYTES = 32 * 1024 * 1024;

/** Avatar images in the database, so any instance can serve any avatar. */
@Injectable()
export class AvatarsService implements OnModuleInit {
  /**
   * Recently served images, least recently used first: an image never changes under its key, so
   * the cache only has to forget removed ones.
   */
  private readonly cache = new Map<string, ServedImage>();
  private cachedBytes = 0;

  private readonly fetcher: AvatarFetcher;

  constructor(
    @InjectRepository(AvatarImage) private readonly images: Repository<AvatarImage>,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const { allowHosts, caFile } = config.avatarFetch;
    this.fetcher = new AvatarFetcher({
      allowHosts,
      ca: caFile === null ? null : readFileSync(caFile, 'utf8'),
    });
  }

  /**
   * The image a PATCH /me `avatar` names: a data URL, or an https URL fetched now;
   * null when it is the user's own current avatar URL, as a client sends its record back.
   */
  async fromProfileValue(value: string, user: User): Promise<ProcessedAvatar | null> {
    if (/^data:/i.test(value)) return processAvatar(decodeAvatarDataUrl(value));
    const current = avatarRecord(user, this.config.publicUrl);
    if (current && (value === current.full || value === current.small)) return null;
    if (!/^https:\/\//i.test(value)) {
      throw new AppError(
        'invalid_avatar',
        'avatar must be a data URL (data:image/<type>;base64,…) or an https URL',
      );
    }
    return processAvatar(await this.fetcher.fetch(value));
  }

  async onModuleInit(): Promise<void> {
    // A removed avatar stops being served by every instance, not only the one that removed it.
    await this.bus.subscribe('avatars.removed', ({ keys }) => keys.forEach((key) => this.uncache(key)));
  }

  /** Stops serving these images, on every instance. */
  private async forget(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    keys.forEach((key) => this.uncache(key));
    await this.bus.publish('avatars.removed', { keys });
  }

  /**
   * Stores a processed avatar under new keys, in the caller's transaction, and drops the user's
   * old images (forgotten by every instance once that commits).
   */
  async replace(tx: Transaction, userId: number, avatar: ProcessedAvatar): Promise<StoredAvatarKeys> {
    await this.remove(tx, userId);
    const avatarKey = await this.insert(tx.manager, userId, avatar.full);
    const avatarSmallKey = avatar.small ? await this.insert(tx.manager, userId, avatar.small) : avatarKey;
    return { avatarKey, avatarSmallKey };
  }

  /** Deletes the user's images in the caller's transaction; every instance forgets them once it commits. */
  async remove(tx: Transaction, userId: number): Promise<void> {
    const rows = await tx.manager.find(AvatarImage, { where: { userId }, select: { key: true } });
    if (rows.length === 0) return;
    await tx.manager.delete(AvatarImage, { userId });
    const keys = rows.map((row) => row.key);
    tx.afterCommit(() => this.forget(keys));
  }

  async get(key: string): Promise<ServedImage> {
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    if (!/^[\w-]{1,80}$/.test(key)) throw new AppError('not_found', 'no such avatar');
    const row = await this.images.findOneBy({ key });
    if (!row) throw new AppError('not_found', 'no such avatar');
    const image = { data: Buffer.from(row.data, 'base64'), contentType: row.contentType, etag: row.etag };
    this.uncache(key);
    this.cache.set(key, image);
    this.cachedBytes += image.data.length;
    for (const [oldest, old] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(oldest);
      this.cachedBytes -= old.data.length;
    }
    return image;
  }

  private uncache(key: string): void {
    const image = this.cache.get(key);
    if (!image) return;
    this.cache.delete(key);
    this.cachedBytes -= image.data.length;
  }

  private async insert(manager: EntityManager, userId: number, image: EncodedImage): Promise<string> {
    const key = randomBytes(16).toString('base64url');
    await manager.insert(AvatarImage, {
      key,
      userId,
      contentType: image.contentType,
      etag: image.etag,
      width: image.width,
      height: image.height,
      data: image.data.toString('base64'),
      createdAt: this.clock.now(),
    });
    return key;
  }
}
