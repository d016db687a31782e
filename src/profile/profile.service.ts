import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CredentialsService } from '../auth/credentials.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { AppError } from '../common/errors.js';
import { EventBus } from '../bus/event-bus.service.js';
import { inTransaction, type Transaction } from '../database/transaction.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { emailKey, parseEmail } from '../users/email.js';
import { parseNick } from '../users/nick.js';
import type { OwnRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import type { User } from '../users/user.entity.js';
import { lockedWith, UsersService } from '../users/users.service.js';
import { processAvatar, type ProcessedAvatar } from '../avatars/avatar-image.js';
import { AvatarsService } from '../avatars/avatars.service.js';
import type { UpdateMeDto } from './dto/update-me.dto.js';

const MOBILE_NUMBER = /^\+?[0-9][0-9 ().-]{2,30}$/;

/** The own record and its atomic update (nick, password, email, avatar, status text, mobile number). */
@Injectable()
export class ProfileService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly avatars: AvatarsService,
    private readonly sessions: SessionsService,
    private readonly credentials: CredentialsService,
    private readonly events: EventBus,
  ) {}

  /** The own record as answered to one of the user's sessions, with that session's auth token. */
  async me(userId: number, sessionId: number): Promise<OwnRecord> {
    const [user, authToken] = await Promise.all([this.caller(userId), this.sessions.authTokenOf(sessionId)]);
    return this.records.own(user, authToken);
  }

  /** The calling user; gone mid-request (the account deleted), `401 unauthorized` as their token now. */
  private async caller(userId: number): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('unauthorized', 'this account no longer exists');
    return user;
  }

  /**
   * Applies every given field or none: each is checked first (the avatar decoded and resized),
   * then all are written in one transaction.
   */
  async update(userId: number, sessionId: number, dto: UpdateMeDto, client: ClientInfo): Promise<OwnRecord> {
    const user = await this.caller(userId);
    const changes: Partial<User> = {};

    if (dto.nick != null) {
      const nick = parseNick(dto.nick);
      changes.nick = nick.nick;
      changes.nickKey = nick.key;
    }
    if (dto.searchable_nick != null) changes.searchableNick = dto.searchable_nick;
    if (dto.last_seen_visibility != null && dto.last_seen_visibility !== user.lastSeenVisibility)
      changes.lastSeenVisibility = dto.last_seen_visibility;
    if (dto.status_message != null) changes.statusMessage = dto.status_message.trim() || null;
    if (dto.mobile_number != null) {
      const number = dto.mobile_number.trim();
      if (number !== '' && !MOBILE_NUMBER.test(number)) {
        throw new AppError('invalid_params', 'mobile_number must be digits, optionally with a leading +');
      }
      changes.mobileNumber = number || null;
    }

    // The address in force, in any spelling that folds to it, is no change.
    const emailChanges = dto.email != null && emailKey(dto.email) !== user.emailKey;
    const newEmail = emailChanges ? parseEmail(dto.email as string) : null;
    // Sending the address in force again calls a pending change off (its link stops working).
    if (dto.email != null && !emailChanges && user.pendingEmail !== null) changes.pendingEmail = null;
    if (dto.password != null || emailChanges) {
      await this.credentials.checkCurrentPassword(
        user,
        dto.current_password,
        client,
        'current_password is needed to change password or email',
      );
    }
    if (dto.password != null) {
      changes.passwordHash = await this.credentials.newPasswordHash(
        dto.password,
        user.email,
        'weak_password',
      );
    }
    if (newEmail !== null) {
      await this.credentials.checkEmailFree(newEmail.key);
      changes.pendingEmail = newEmail.email;
    }
    const avatar = dto.avatar == null ? null : await this.avatars.fromProfileValue(dto.avatar, user);
    // Last of the checks: a refused request does not use up the user's turn to be mailed.
    const mailTurn = changes.pendingEmail ? await this.credentials.claimConfirmation(userId) : null;

    await inTransaction(this.dataSource, async (tx) => {
      const locked = await this.users.lockForWrite(tx.manager, userId);
      if (avatar) Object.assign(changes, await this.avatarChanges(tx, userId, avatar));
      if (Object.keys(changes).length > 0) await this.users.update(tx.manager, userId, changes);
      const { passwordHash, pendingEmail } = changes;
      if (pendingEmail) await this.credentials.startEmailChange(tx, user, pendingEmail);
      if (passwordHash) {
        await this.sessions.endAll(tx, userId, sessionId);
        tx.afterCommit(() => this.events.emit('auth.password_changed', { userId, via: 'update' }));
      }
      if (pendingEmail) {
        tx.afterCommit(() =>
          this.events.emit('auth.email_change_requested', { userId, email: pendingEmail }),
        );
      }
      if (Object.keys(changes).length > 0)
        this.events.publish(tx, 'user.updated', { userId, user: lockedWith(locked, changes) });
    }).catch(async (error: unknown) => {
      if (mailTurn) await this.credentials.release(mailTurn);
      throw error;
    });
    return this.me(userId, sessionId);
  }

  async setAvatarFile(userId: number, sessionId: number, file: Buffer): Promise<OwnRecord> {
    return this.changeAvatar(userId, sessionId, await processAvatar(file));
  }

  async removeAvatar(userId: number, sessionId: number): Promise<OwnRecord> {
    const user = await this.caller(userId);
    if (user.avatarKey === null) return this.me(userId, sessionId);
    return this.changeAvatar(userId, sessionId, null);
  }

  /** Sets (or, with null, removes) the avatar alone. */
  private async changeAvatar(
    userId: number,
    sessionId: number,
    avatar: ProcessedAvatar | null,
  ): Promise<OwnRecord> {
    await inTransaction(this.dataSource, async (tx) => {
      const locked = await this.users.lockForWrite(tx.manager, userId);
      const changes = await this.avatarChanges(tx, userId, avatar);
      await this.users.update(tx.manager, userId, changes);
      this.events.publish(tx, 'user.updated', { userId, user: lockedWith(locked, changes) });
    });
    return this.me(userId, sessionId);
  }

  /** Stores the new images (or deletes the old) in the transaction; the user's fields that change. */
  private async avatarChanges(
    tx: Transaction,
    userId: number,
    avatar: ProcessedAvatar | null,
  ): Promise<Pick<User, 'avatarKey' | 'avatarSmallKey'>> {
    if (avatar) return this.avatars.replace(tx, userId, avatar);
    await this.avatars.remove(tx, userId);
    return { avatarKey: null, avatarSmallKey: null };
  }
}
