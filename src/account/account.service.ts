import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CredentialLoginService } from '../auth/credential-login.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { BlockingService } from '../blocking/blocking.service.js';
import { Clock } from '../common/clock.service.js';
import { RateLimiter } from '../common/rate-limiter.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { EventBus } from '../bus/event-bus.service.js';
import { MailService } from '../mail/mail.service.js';
import { accountDeletedMail } from '../mail/templates.js';
import { inTransaction } from '../database/transaction.js';
import { AvatarsService } from '../avatars/avatars.service.js';
import { ContactsService } from '../contacts/contacts.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UserRecordsService } from '../users/user-records.service.js';
import { type User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { TotpEnrolmentService } from '../mfa/totp-enrolment.service.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { ExportSections } from './export-sections.js';
import { ActivityService, type NewSecurityEvent } from './activity.service.js';

/** One export a minute per user: it reads everything the service holds about them. */
const EXPORT_WINDOW_SECONDS = 60;

/** The user's own account as a whole: the export of everything held about them, and deletion. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly records: UserRecordsService,
    private readonly credentialLogin: CredentialLoginService,
    private readonly sessions: SessionsService,
    private readonly contacts: ContactsService,
    private readonly blocking: BlockingService,
    private readonly devices: DevicesService,
    private readonly avatars: AvatarsService,
    private readonly mail: MailService,
    private readonly activity: ActivityService,
    private readonly secondFactor: TotpEnrolmentService,
    private readonly passkeys: PasskeysService,
    private readonly limiter: RateLimiter,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly sections: ExportSections,
  ) {}

  /** Everything the service holds about the user, as one JSON document. */
  async export(userId: number, sessionId: number, client: ClientInfo) {
    await this.limiter.take(
      [{ key: `export:${userId}`, max: 1, windowSeconds: EXPORT_WINDOW_SECONDS }],
      'one export a minute',
    );
    const user = await this.users.getById(userId);
    const [own, contacts, addedBy, blocked, blockers, sessions, devices, secondFactor, passkeys] =
      await Promise.all([
        this.records.own(user),
        this.contacts.list(userId),
        this.contacts.addedByIdsOf(userId),
        this.blocking.blockedBy(userId),
        this.blocking.blockersOf(userId),
        this.sessions.list(userId, sessionId),
        this.devices.list(userId),
        this.secondFactor.status(userId),
        this.passkeys.list(userId),
      ]);
    await this.activity.record({ userId, type: 'account_exported', ...client });
    const addedByUsers = await this.records.publicMany(await this.users.findByIds(addedBy), userId);
    return {
      exported_at: this.clock.now().toISOString(),
      // No secret in a document that may be kept or shared.
      user: { ...own, auth_token: null },
      contacts,
      added_me: addedByUsers,
      blocks: { blocked_by_me: blocked, blocked_me: blockers },
      sessions,
      devices,
      activity: await this.activity.all(userId),
      // Whether two-step login is on; never its secret or codes.
      second_factor: secondFactor,
      passkeys,
      ...(await this.sections.collect(userId)),
    };
  }

  /**
   * Deletes the account in one transaction: the user row and, by cascading foreign keys, the
   * avatar images, contacts and blocks both ways, devices, SSE codes, sessions, QR logins, mail
   * tokens, the second factor (secret, recovery codes, pending second steps) and passkeys; the mails still held for the addresses. Its sessions end as a logout ends them (their
   * access tokens and streams die on every instance) and friends get `user_deleted`.
   */
  async delete(
    userId: number,
    sessionId: number,
    currentPassword: string | undefined,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.users.getById(userId);
    await this.credentialLogin.confirmOwner(userId, sessionId, currentPassword, client, 'delete the account');
    await this.erase(user, [{ type: 'account_deleted', ...client }]);
  }

  /**
   * Deletes the account for an operator (admin API, CLI), as DELETE /me does but without the
   * owner's password; `recorded` says who did it, in the account's activity before it goes.
   */
  async deleteByOperator(userId: number, recorded: Omit<NewSecurityEvent, 'userId'>): Promise<void> {
    const user = await this.users.getById(userId);
    await this.erase(user, [recorded, { type: 'account_deleted' }]);
  }

  private async erase(user: User, recorded: Omit<NewSecurityEvent, 'userId'>[]): Promise<void> {
    const userId = user.id;
    const friendIds = await this.contacts.friendIdsOf(userId);
    const addresses = [user.email, ...(user.pendingEmail ? [user.pendingEmail] : [])];

    await inTransaction(this.dataSource, async (tx) => {
      const { manager } = tx;
      // Every instance drops the sessions' access tokens and closes the streams they opened.
      await this.sessions.endAll(tx, userId, null);
      for (const event of recorded) await this.activity.record({ userId, ...event }, manager);
      await this.activity.pseudonymise(manager, userId);
      await this.mail.forgetMailTo(manager, addresses);
      await this.avatars.remove(tx, userId);
      await this.users.remove(manager, userId);
      await this.mail.enqueue(manager, accountDeletedMail(user.email));
      this.events.publish(tx, 'account.deleted', { userId, friendIds });
    });
  }
}
