import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { uniqueViolation } from '../database/errors.js';
import { inTransaction } from '../database/transaction.js';
import { MfaNotices } from '../mfa/mfa-notices.service.js';
import { UsersService } from '../users/users.service.js';
import { CHALLENGE_TTL_MS, PasskeyChallenges } from './passkey-challenges.service.js';
import { Passkey } from './passkey.entity.js';
import { challengeOf, expected, userHandle } from './webauthn.js';

/** A passkey as its owner sees it (never its key material). */
export interface PasskeyRecord {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** The user's own passkeys: adding one (options, then the authenticator's answer), listing, renaming, removing. */
@Injectable()
export class PasskeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly challenges: PasskeyChallenges,
    private readonly notices: MfaNotices,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Options for `navigator.credentials.create()`: a discoverable credential that verifies its user. */
  async registrationOptions(userId: number): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.users.getById(userId);
    const existing = await this.dataSource.manager.find(Passkey, {
      where: { userId },
      select: { credentialId: true, transports: true },
    });
    const options = await generateRegistrationOptions({
      rpName: 'Unichat',
      rpID: this.config.webauthn.rpId,
      userName: user.email,
      userDisplayName: user.nick ?? user.email,
      userID: userHandle(userId),
      attestationType: 'none',
      timeout: CHALLENGE_TTL_MS,
      excludeCredentials: existing.map((passkey) => ({
        id: passkey.credentialId,
        ...(passkey.transports ? { transports: passkey.transports.split(',') } : {}),
      })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.challenges.issue('register', userId, options.challenge);
    return options;
  }

  /**
   * Verifies the authenticator's answer to the user's options and keeps the passkey. The owner is
   * told (mail, push, activity): a passkey added by whoever got in once would keep them in.
   */
  async register(
    userId: number,
    response: RegistrationResponseJSON,
    name: string,
    client: ClientInfo,
  ): Promise<PasskeyRecord> {
    const challenge = challengeOf(response.response?.clientDataJSON);
    if (challenge === null)
      throw new AppError('invalid_params', 'response.response.clientDataJSON is unreadable');
    const user = await this.users.getById(userId);
    const passkey = await inTransaction(this.dataSource, async (tx) => {
      if (!(await this.challenges.takeRegistration(tx.manager, userId, challenge))) {
        throw new AppError(
          'invalid_token',
          'these passkey options are unknown, used or expired: ask for new ones',
        );
      }
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        ...expected(this.config),
        requireUserVerification: true,
      }).catch((error: Error) => {
        throw new AppError('invalid_params', `the passkey's answer does not verify: ${error.message}`);
      });
      if (!verification.verified)
        throw new AppError('invalid_params', "the passkey's answer does not verify");
      const { credential } = verification.registrationInfo;
      const row = {
        userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: String(credential.counter),
        transports: credential.transports?.join(',').slice(0, 200) || null,
        name,
        createdAt: this.clock.now(),
        lastUsedAt: null,
      };
      const { identifiers } = await tx.manager.insert(Passkey, row);
      const id = Number(identifiers[0].id);
      await this.notices.changed(tx, user, { change: 'passkey_added', passkey: { id, name } }, client);
      return { id, ...row };
    }).catch((error: unknown) => {
      if (uniqueViolation(error)) throw new AppError('invalid_params', 'this passkey is already registered');
      throw error;
    });
    return toRecord(passkey);
  }

  async list(userId: number): Promise<PasskeyRecord[]> {
    const rows = await this.dataSource.manager.find(Passkey, { where: { userId }, order: { id: 'ASC' } });
    return rows.map(toRecord);
  }

  async rename(userId: number, id: number, name: string): Promise<PasskeyRecord> {
    const result = await this.dataSource.manager.update(Passkey, { id, userId }, { name });
    if (!result.affected) throw new AppError('not_found', 'no such passkey');
    return toRecord(await this.dataSource.manager.findOneByOrFail(Passkey, { id, userId }));
  }

  /**
   * Removes the passkey: it no longer signs in, on any instance, from the next request on. The
   * owner is told, as of an added one; only the request whose delete took the row tells.
   */
  async remove(userId: number, id: number, client: ClientInfo): Promise<void> {
    const user = await this.users.getById(userId);
    await inTransaction(this.dataSource, async (tx) => {
      const row = await tx.manager.findOneBy(Passkey, { id, userId });
      if (!row) throw new AppError('not_found', 'no such passkey');
      const result = await tx.manager.delete(Passkey, { id, userId });
      if (!result.affected) throw new AppError('not_found', 'no such passkey');
      await this.notices.changed(
        tx,
        user,
        { change: 'passkey_removed', passkey: { id, name: row.name } },
        client,
      );
    });
  }
}

function toRecord(row: Pick<Passkey, 'id' | 'name' | 'createdAt' | 'lastUsedAt'>): PasskeyRecord {
  return {
    id: row.id,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}
