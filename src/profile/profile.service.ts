import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EmailTokensService } from '../auth/email-tokens.service.js';
import { type ClientInfo, PasswordChecks } from '../auth/password-checks.service.js';
import { PasswordHasher } from '../auth/password-hasher.service.js';
import { passwordProblem } from '../auth/password-policy.js';
import { AppError } from '../common/errors.js';
import { EventBus } from '../bus/event-bus.service.js';
import { MailService } from '../mail/mail.service.js';
import { noticeMail } from '../mail/templates.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { emailKey, parseEmail } from '../users/email.js';
import { nickKey, parseNick } from '../users/nick.js';
import type { OwnRecord, PublicRecord } from '../users/user-records.js';
import { UserRecordsService } from '../users/user-records.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { processAvatar } from '../avatars/avatar-image.js';
import { AvatarsService } from '../avatars/avatars.service.js';
import type { UpdateMeDto } from './dto/update-me.dto.js';

const SEARCH_LIMIT = 20;
const MOBILE_NUMBER = /^\+?[0-9][0-9 ().-]{2,30}$/;

/** The own record and its atomic update, avatars, public records and nick search. */
@Injectable()
export class ProfileService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly avatars: AvatarsService,
    private readonly sessions: SessionsService,
    private readonly emailTokens: EmailTokensService,
    private readonly hasher: PasswordHasher,
    private readonly passwords: PasswordChecks,
    private readonly mail: MailService,
    private readonly events: EventBus,
  ) {}

  /** The own record as answered to one of the user's sessions, with that session's auth token. */
  async me(userId: number, sessionId: number): Promise<OwnRecord> {
    const [user, authToken] = await Promise.all([
      this.users.getById(userId),
      this.sessions.authTokenOf(sessionId),
    ]);
    return this.records.own(user, authToken);
  }

  /**
   * Applies every given field or none: each is checked first (the avatar decoded and resized),
   * then all are written in one transaction.
   */
  async update(userId: number, sessionId: number, dto: UpdateMeDto, client: ClientInfo): Promise<OwnRecord> {
    const user = await this.users.getById(userId);
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
    if (dto.password != null || emailChanges)
      await this.checkCurrentPassword(user, dto.current_password, client);
    if (dto.password != null) {
      const problem = passwordProblem(dto.password, user.email);
      if (problem) throw new AppError('weak_password', problem);
      changes.passwordHash = await this.hasher.hash(dto.password);
    }
    if (newEmail !== null) {
      if (await this.users.findByEmail(newEmail.key)) {
        throw new AppError('invalid_email', 'email address is already taken', { status: 409 });
      }
      changes.pendingEmail = newEmail.email;
    }
    const avatar = dto.avatar == null ? null : await this.avatars.fromProfileValue(dto.avatar, user);
    const oldImages = avatar ? await this.avatars.keysOf(userId) : [];
    // Last of the checks: a refused request does not use up the user's turn to be mailed.
    const mailTurn = changes.pendingEmail ? await this.emailTokens.claimConfirmation(userId) : null;

    const ended = await this.dataSource
      .transaction(async (manager) => {
        if (avatar) Object.assign(changes, await this.avatars.replace(manager, userId, avatar));
        if (Object.keys(changes).length > 0) await this.users.update(manager, userId, changes);
        if (changes.pendingEmail) {
          await this.emailTokens.sendConfirmation(manager, userId, changes.pendingEmail);
          await this.mail.enqueue(
            manager,
            noticeMail({
              to: user.email,
              subject: 'Your Unichat email address is changing',
              body: `Somebody (we hope you) asked to change the address of your Unichat account to ${changes.pendingEmail}. It changes once the new address is confirmed; until then this address stays in force. If this was not you, change your password now.`,
            }),
          );
        }
        return changes.passwordHash ? this.sessions.endAll(userId, sessionId, manager) : [];
      })
      .catch(async (error: unknown) => {
        if (mailTurn) await this.emailTokens.unclaim(mailTurn);
        throw error;
      });

    await this.sessions.announce(ended);
    await this.avatars.forget(oldImages);
    if (changes.passwordHash) this.events.emit('auth.password_changed', { userId, via: 'update' });
    if (changes.pendingEmail) {
      this.events.emit('auth.email_change_requested', { userId, email: changes.pendingEmail });
    }
    if (Object.keys(changes).length > 0) this.events.emit('user.updated', { userId });
    return this.me(userId, sessionId);
  }

  async setAvatarFile(userId: number, sessionId: number, file: Buffer): Promise<OwnRecord> {
    const avatar = await processAvatar(file);
    const oldImages = await this.avatars.keysOf(userId);
    await this.dataSource.transaction(async (manager) => {
      await this.users.update(manager, userId, await this.avatars.replace(manager, userId, avatar));
    });
    await this.avatars.forget(oldImages);
    this.events.emit('user.updated', { userId });
    return this.me(userId, sessionId);
  }

  async removeAvatar(userId: number, sessionId: number): Promise<OwnRecord> {
    const user = await this.users.getById(userId);
    if (user.avatarKey !== null) {
      const oldImages = await this.avatars.keysOf(userId);
      await this.dataSource.transaction(async (manager) => {
        await this.avatars.remove(manager, userId);
        await this.users.update(manager, userId, { avatarKey: null, avatarSmallKey: null });
      });
      await this.avatars.forget(oldImages);
      this.events.emit('user.updated', { userId });
    }
    return this.me(userId, sessionId);
  }

  async publicUser(userId: number, viewerId: number | null): Promise<PublicRecord> {
    return this.records.public(await this.users.getById(userId), viewerId);
  }

  /** Confirmed users who allow it, whose nick starts with the prefix (case-insensitive). */
  async search(prefix: string, viewerId: number): Promise<PublicRecord[]> {
    const key = nickKey(prefix.trim());
    if ([...key].length < 2) {
      throw new AppError('invalid_params', 'nick must be at least 2 characters to search');
    }
    const found = await this.users.searchByNickPrefix(key, SEARCH_LIMIT, viewerId);
    return this.records.publicMany(found, viewerId);
  }

  private async checkCurrentPassword(
    user: User,
    given: string | null | undefined,
    client: ClientInfo,
  ): Promise<void> {
    if (given == null) {
      throw new AppError('invalid_password', 'current_password is needed to change password or email');
    }
    if (!(await this.passwords.isCurrentPassword(user, given, client)))
      throw new AppError('invalid_password');
  }
}
