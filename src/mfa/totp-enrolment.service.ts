import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import QRCode from 'qrcode';
import { DataSource } from 'typeorm';
import { CredentialLoginService } from '../auth/credential-login.service.js';
import { CredentialsService } from '../auth/credentials.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { AppError } from '../common/errors.js';
import { inTransaction } from '../database/transaction.js';
import { UsersService } from '../users/users.service.js';
import { MfaNotices } from './mfa-notices.service.js';
import { SecondFactorsService } from './second-factors.service.js';
import { otpauthUri } from './totp.js';

export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
  png: string;
}

export interface SecondFactorStatus {
  totp: boolean;
  recovery_codes_left: number;
}

/**
 * The user's own two-step login: setting an authenticator app up (password, then a first code),
 * turning it off and renewing recovery codes (with a code). Every code is counted among the
 * failed password checks, as at login.
 */
@Injectable()
export class TotpEnrolmentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly doors: CredentialLoginService,
    private readonly credentials: CredentialsService,
    private readonly factors: SecondFactorsService,
    private readonly notices: MfaNotices,
  ) {}

  async status(userId: number): Promise<SecondFactorStatus> {
    const [totp, left] = await Promise.all([
      this.factors.isOn(userId),
      this.factors.recoveryCodesLeft(userId),
    ]);
    return { totp, recovery_codes_left: totp ? left : 0 };
  }

  /**
   * A new secret for the authenticator app; on once `confirm` gets its first code. Needs the
   * password, or for an account without one a fresh sign-in (`confirmOwner`): an account made by a
   * provider's sign-in can have two-step login too.
   */
  async start(
    userId: number,
    sessionId: number,
    currentPassword: string | undefined,
    client: ClientInfo,
  ): Promise<TotpSetup> {
    await this.doors.confirmOwner(userId, sessionId, currentPassword, client, 'set up two-step login');
    if (await this.factors.isOn(userId)) {
      throw new AppError(
        'invalid_params',
        'two-step login is already on; turn it off first to set up another app',
      );
    }
    const user = await this.users.getById(userId);
    const secret = await inTransaction(this.dataSource, (tx) => this.factors.startTotp(tx.manager, userId));
    const uri = otpauthUri(secret, user.email);
    const png = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, scale: 4 });
    return { secret, otpauth_uri: uri, png };
  }

  /** Turns two-step login on with the app's first code; answers the recovery codes, shown this once. */
  async confirm(userId: number, code: string, client: ClientInfo): Promise<{ recovery_codes: string[] }> {
    const user = await this.users.getById(userId);
    const codes = await this.credentials.secondStep(user, client, () =>
      inTransaction(this.dataSource, async (tx) => {
        if (!(await this.factors.confirmTotp(tx.manager, userId, code))) return null;
        const recovery = await this.factors.replaceRecoveryCodes(tx.manager, userId);
        await this.notices.changed(
          tx,
          user,
          { change: 'totp_enabled', recoveryCodesLeft: recovery.length },
          client,
        );
        return recovery;
      }),
    );
    if (!codes) throw new AppError('invalid_mfa_code');
    return { recovery_codes: codes };
  }

  /** Turns two-step login off with a code of the app or a recovery code. */
  async turnOff(userId: number, code: string, client: ClientInfo): Promise<void> {
    const user = await this.onFor(userId);
    const done = await this.credentials.secondStep(user, client, () =>
      inTransaction(this.dataSource, async (tx) => {
        if (!(await this.factors.useCode(tx.manager, userId, code))) return null;
        await this.factors.turnOff(tx.manager, userId);
        await this.notices.changed(tx, user, { change: 'totp_disabled', recoveryCodesLeft: 0 }, client);
        return true;
      }),
    );
    if (!done) throw new AppError('invalid_mfa_code');
  }

  /** New recovery codes in place of the old ones, with a code of the app or a recovery code. */
  async renewRecoveryCodes(
    userId: number,
    code: string,
    client: ClientInfo,
  ): Promise<{ recovery_codes: string[] }> {
    const user = await this.onFor(userId);
    const codes = await this.credentials.secondStep(user, client, () =>
      inTransaction(this.dataSource, async (tx) => {
        if (!(await this.factors.useCode(tx.manager, userId, code))) return null;
        const recovery = await this.factors.replaceRecoveryCodes(tx.manager, userId);
        await this.notices.changed(
          tx,
          user,
          { change: 'recovery_codes_renewed', recoveryCodesLeft: recovery.length },
          client,
        );
        return recovery;
      }),
    );
    if (!codes) throw new AppError('invalid_mfa_code');
    return { recovery_codes: codes };
  }

  private async onFor(userId: number) {
    if (!(await this.factors.isOn(userId))) throw new AppError('not_found', 'two-step login is not on');
    return this.users.getById(userId);
  }
}
