import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { inTransaction } from '../database/transaction.js';
import { type EmailAddress, parseEmail } from '../users/email.js';
import { type Nick, parseNick } from '../users/nick.js';
import { type OwnRecord } from '../users/user-records.js';
import { UsersService } from '../users/users.service.js';
import { CredentialsService } from './credentials.service.js';
import { type RegisterDto } from './dto/auth.dto.js';
import { LoginService, type LoginResult } from './login.service.js';
import { EventBus } from '../bus/event-bus.service.js';

/** Registration: a new account, its confirmation mail, and with `auto_login` its first session. */
@Injectable()
export class RegistrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly logins: LoginService,
    private readonly events: EventBus,
  ) {}

  async register(
    input: Pick<RegisterDto, 'email' | 'password' | 'nick' | 'auto_login'>,
    client: ClientInfo,
  ): Promise<{ user: OwnRecord } | LoginResult> {
    const email = parseEmail(input.email);
    await this.credentials.checkPolicy(input.password, email.email, 'registration_error');
    const nick = input.nick === undefined ? null : parseNick(input.nick);
    await this.credentials.checkEmailFree(email.key);
    // Counted once the request could succeed, so a form's typos do not use up an address's turns.
    const reservation = await this.credentials.reserveRegistration(client);
    const { user, opened } = await this.createAccount(input, email, nick, client).catch(async (error) => {
      await this.credentials.release(reservation);
      throw error;
    });
    if (!opened) return { user: await this.logins.ownRecord(user) };
    return this.logins.answer(user, opened, false);
  }

  private async createAccount(
    input: { password: string; auto_login?: boolean },
    email: EmailAddress,
    nick: Nick | null,
    client: ClientInfo,
  ) {
    const passwordHash = await this.credentials.hashCheckedPassword(input.password);
    return inTransaction(this.dataSource, async (tx) => {
      const user = await this.users.create(tx.manager, {
        email,
        passwordHash,
        nick: nick?.nick ?? null,
        nickKey: nick?.key ?? null,
      });
      await this.credentials.sendConfirmation(tx, user.id, user.email);
      this.events.publish(tx, 'user.created', { userId: user.id });
      const opened = input.auto_login
        ? await this.logins.openSession(tx.manager, user, client, 'password')
        : null;
      return { user, opened };
    });
  }
}
