import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CredentialsService } from '../auth/credentials.service.js';
import { LoginService, type LoginResult } from '../auth/login.service.js';
import { type SecondFactorGate } from '../auth/second-factor.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { AppError } from '../common/errors.js';
import { inTransaction } from '../database/transaction.js';
import { type User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { MfaNotices } from './mfa-notices.service.js';
import { SecondFactorsService, type TotpState } from './second-factors.service.js';

/**
 * The second step of a password login: a right password of a user with TOTP on answers
 * `mfa_required` with an `mfa_token`; `POST /auth/login/mfa` trades it and a code for a login. A
 * code sent with the password (`code` beside it) is the same step without the `mfa_token`.
 */
@Injectable()
export class MfaLoginService implements SecondFactorGate {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly factors: SecondFactorsService,
    private readonly logins: LoginService,
    private readonly notices: MfaNotices,
  ) {}

  async challenge(user: User): Promise<string | null> {
    return (await this.factors.isOn(user.id)) ? this.factors.openChallenge(user.id) : null;
  }

  /**
   * Logs in with the `mfa_token` of a right password and a TOTP or recovery code. The token is read
   * with the user's authenticator in one statement; the code, the time step and the token are used
   * up with the session's creation, in one transaction. A wrong code counts among the failed
   * password checks (the token stays usable until it expires).
   */
  async complete(mfaToken: string, code: string, client: ClientInfo): Promise<LoginResult> {
    const challenge = await this.factors.liveChallenge(mfaToken);
    const user = challenge && (await this.users.findById(challenge.userId));
    if (!challenge || !user) throw expired();
    return this.useCode(user, code, client, challenge.totp, challenge.id);
  }

  /**
   * Logs in with a code sent with the right password, as `complete` does without an `mfa_token`;
   * null when the user has TOTP off (the password is enough).
   */
  async completeWithCode(user: User, code: string, client: ClientInfo): Promise<LoginResult | null> {
    const totp = await this.factors.totpOn(user.id);
    return totp && this.useCode(user, code, client, totp, null);
  }

  /**
   * Uses `code` (and the pending second step `challengeId`, when there is one) up with the
   * session's creation, in one transaction; a wrong code is `invalid_mfa_code`, counted.
   */
  private async useCode(
    user: User,
    code: string,
    client: ClientInfo,
    totp: TotpState | null,
    challengeId: number | null,
  ): Promise<LoginResult> {
    const opened = await this.credentials.secondStep(user, client, () =>
      inTransaction(this.dataSource, async (tx) => {
        const used = await this.factors.useCode(tx.manager, user.id, code, totp);
        if (!used) return null;
        if (challengeId !== null && !(await this.factors.consumeChallenge(tx.manager, challengeId))) {
          throw expired();
        }
        if (used.kind === 'recovery_code') {
          await this.notices.changed(
            tx,
            user,
            { change: 'recovery_code_used', recoveryCodesLeft: used.left },
            client,
          );
        }
        return this.logins.openSession(tx.manager, user, client, used.kind);
      }),
    );
    if (!opened) {
      this.notices.codeRefused(user.id, client);
      throw new AppError('invalid_mfa_code');
    }
    // A right code has already cleared the failures (secondStep): the login is complete.
    return this.logins.answer(user, opened);
  }
}

function expired(): AppError {
  return new AppError(
    'invalid_token',
    'mfa_token is unknown, used or expired: log in with the password again',
  );
}
