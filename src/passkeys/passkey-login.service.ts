import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { CredentialsService } from '../auth/credentials.service.js';
import { LoginService, type LoginResult } from '../auth/login.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { inTransaction } from '../database/transaction.js';
import { User } from '../users/user.entity.js';
import { CHALLENGE_TTL_MS, PasskeyChallenges } from './passkey-challenges.service.js';
import { Passkey } from './passkey.entity.js';
import { expected, userHandleText } from './webauthn.js';

/**
 * Sign-in with a passkey, no email typed: the authenticator offers the user's discoverable
 * credential. A passkey that verified its user counts as two factors: no password, no code.
 */
@Injectable()
export class PasskeyLoginService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly challenges: PasskeyChallenges,
    private readonly credentials: CredentialsService,
    private readonly logins: LoginService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async options(): Promise<{ challenge_id: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthn.rpId,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_MS,
    });
    return { challenge_id: await this.challenges.issue('login', null, options.challenge), options };
  }

  /**
   * Logs in with the authenticator's answer to the options of `challengeId`. The challenge, the
   * counter and the session are one transaction; a passkey removed meanwhile (on any instance)
   * does not match the counter's conditional update. Failures count against the client address.
   */
  async signIn(
    challengeId: string,
    response: AuthenticationResponseJSON,
    client: ClientInfo,
  ): Promise<LoginResult> {
    const result = await this.credentials.addressCounted(client, () =>
      inTransaction(this.dataSource, async (tx) => {
        const { manager } = tx;
        const challenge = await this.challenges.takeLogin(manager, challengeId);
        if (challenge === null) {
          throw new AppError(
            'invalid_token',
            'these sign-in options are unknown, used or expired: ask for new ones',
          );
        }
        const passkey =
          typeof response.id === 'string'
            ? await manager.findOneBy(Passkey, { credentialId: response.id })
            : null;
        if (!passkey) return null;
        const handle = response.response?.userHandle;
        if (handle !== undefined && handle !== userHandleText(passkey.userId)) return null;
        const verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          ...expected(this.config),
          credential: {
            id: passkey.credentialId,
            publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
            counter: Number(passkey.counter),
            transports: passkey.transports?.split(','),
          },
          requireUserVerification: true,
        }).catch(() => null);
        if (!verification?.verified) return null;
        const used = await manager
          .createQueryBuilder()
          .update(Passkey)
          .set({ counter: String(verification.authenticationInfo.newCounter), lastUsedAt: this.clock.now() })
          .where('id = :id AND counter = :counter', { id: passkey.id, counter: passkey.counter })
          .execute();
        if (!used.affected) return null;
        const user = await manager.findOneBy(User, { id: passkey.userId });
        if (!user) return null;
        return { user, opened: await this.logins.openSession(manager, user, client, 'passkey') };
      }),
    );
    if (!result) {
      this.logins.refused(null, 'passkey', client);
      throw new AppError('auth_failed', 'this passkey is unknown, removed, or its answer does not verify');
    }
    return this.logins.answer(result.user, result.opened);
  }
}
