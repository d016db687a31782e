import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import { LoginService, type LoginResult } from '../auth/login.service.js';
import { CredentialsService } from '../auth/credentials.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { parseId } from '../common/ids.js';
import { SecretBox } from '../common/secret-box.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { inTransaction } from '../database/transaction.js';
import { EventBus } from '../bus/event-bus.service.js';
import { parseEmail } from '../users/email.js';
import { type User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { Identity } from './identity.entity.js';
import { OidcClients } from './oidc-clients.js';
import { OidcPending } from './oidc-pending.entity.js';

/** What a provider proved about a person: its subject, and the address it vouches for (or not). */
export interface ProvenIdentity {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

export interface IdentityRecord {
  id: number;
  provider: string;
  email: string | null;
  created_at: string;
}

const FLOW_TTL_MS = 10 * 60_000;
const LOGIN_CODE_TTL_MS = 60_000;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Sign-in with OpenID providers: the web flow (authorization code with PKCE, state and nonce,
 * ending in a one-time login code for the app), the native flow (an ID token from the provider's
 * SDK), and the identities linked to accounts. A first sign-in makes an account; an identity joins
 * an existing account only when both addresses are verified.
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger('OpenID');
  private readonly box: SecretBox;
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clients: OidcClients,
    private readonly users: UsersService,
    private readonly logins: LoginService,
    private readonly credentials: CredentialsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.box = new SecretBox(config.jwtSecret, 'oidc pending');
  }

  providers(): string[] {
    return this.clients.names();
  }

  /** The provider's authorization URL for a new web flow (PKCE S256, state, nonce kept here). */
  async start(provider: string): Promise<string> {
    const settings = this.clients.provider(provider);
    const configuration = await this.clients.configuration(provider);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    await this.keep('flow', provider, state, { verifier, nonce }, FLOW_TTL_MS);
    const parameters: Record<string, string> = {
      redirect_uri: this.clients.redirectUri(provider),
      scope: settings.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (settings.responseMode === 'form_post') parameters.response_mode = 'form_post';
    return client.buildAuthorizationUrl(configuration, parameters).toString();
  }

  /**
   * The provider's answer to a web flow (query or form_post): checks state, PKCE and the ID token,
   * and answers where the browser goes next: the application with a one-time `login_code`, or with
   * `error`. No token ever goes into the URL.
   */
  async callback(provider: string, parameters: Record<string, string>): Promise<string> {
    const target = new URL(this.config.appRootUrl);
    try {
      const code = await this.finishFlow(provider, parameters);
      target.searchParams.set('login_code', code);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      target.searchParams.set('error', error.code === 'unavailable' ? 'unavailable' : 'oidc_failed');
    }
    return target.toString();
  }

  private async finishFlow(provider: string, parameters: Record<string, string>): Promise<string> {
    this.clients.provider(provider);
    if (typeof parameters.error === 'string') {
      throw new AppError('auth_failed', `the provider refused the sign-in: ${parameters.error}`);
    }
    const state = parameters.state;
    if (typeof state !== 'string' || state === '') throw new AppError('invalid_token', 'state is missing');
    const flow = await this.take('flow', provider, state);
    if (!flow) throw new AppError('invalid_token', 'unknown, used or expired state');
    const { verifier, nonce } = flow as { verifier: string; nonce: string };
    const configuration = await this.clients.configuration(provider);
    const answer = new URL(this.clients.redirectUri(provider));
    for (const [name, value] of Object.entries(parameters)) answer.searchParams.set(name, value);
    let claims: JWTPayload | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, answer, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      // Some providers put the address only in the UserInfo answer (the ID token then has `sub` alone).
      if (claims?.sub && claims.email === undefined && configuration.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        claims = { ...claims, email: info.email, email_verified: info.email_verified };
      }
    } catch (error) {
      this.logger.warn(`sign-in with ${provider} failed: ${(error as Error).message}`);
      throw new AppError('auth_failed', 'the provider did not confirm the sign-in');
    }
    if (!claims?.sub) throw new AppError('auth_failed', 'the provider gave no subject');
    const proven = provenFrom(provider, claims);
    const code = randomBytes(32).toString('base64url');
    await this.keep('login_code', provider, code, proven, LOGIN_CODE_TTL_MS);
    return code;
  }

  /** POST /auth/oidc/exchange: the login the one-time code stands for. */
  async exchange(loginCode: string, client: ClientInfo): Promise<LoginResult> {
    const proven = await this.credentials.authTokenLogin(client, async () => {
      const found = await this.take('login_code', null, loginCode);
      return found as ProvenIdentity | null;
    });
    if (!proven) throw new AppError('invalid_token', 'unknown, used or expired login_code');
    return this.signIn(proven, client);
  }

  /** POST /auth/oidc/:provider/id-token: an ID token from the provider's SDK on a phone. */
  async idTokenLogin(
    provider: string,
    idToken: string,
    nonce: string,
    client: ClientInfo,
  ): Promise<LoginResult> {
    const proven = await this.verifyIdToken(provider, idToken, nonce, client);
    return this.signIn(proven, client);
  }

  /**
   * Checks an ID token the way the provider's SDKs expect: signed by the provider (its JWKS),
   * issued by it, for this client, not expired, and carrying the nonce the app sent (or its SHA-256
   * in hex, as Apple's and Firebase's SDKs put it). A failure counts among the address's failed logins.
   */
  private async verifyIdToken(
    provider: string,
    idToken: string,
    nonce: string,
    client: ClientInfo,
  ): Promise<ProvenIdentity> {
    const settings = this.clients.provider(provider);
    const configuration = await this.clients.configuration(provider);
    const proven = await this.credentials.authTokenLogin(client, async () => {
      try {
        const { payload } = await jwtVerify(idToken, this.keySet(provider, configuration), {
          issuer: configuration.serverMetadata().issuer,
          audience: settings.clientId,
          algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
        });
        const given = payload.nonce;
        if (typeof given !== 'string' || (given !== nonce && given !== sha256(nonce))) return null;
        if (typeof payload.sub !== 'string' || payload.sub === '') return null;
        return provenFrom(provider, payload);
      } catch (error) {
        this.logger.warn(`an ID token from ${provider} was refused: ${(error as Error).message}`);
        return null;
      }
    });
    if (!proven) {
      this.events.emit('auth.login_failed', { userId: null, method: 'oidc', ...client });
      throw new AppError('auth_failed', 'the ID token is not valid for this service, or its nonce differs');
    }
    return proven;
  }

  private keySet(provider: string, configuration: client.Configuration) {
    let keys = this.jwks.get(provider);
    if (!keys) {
      const uri = configuration.serverMetadata().jwks_uri;
      if (!uri) throw new AppError('unavailable', `the sign-in provider "${provider}" publishes no keys`);
      keys = createRemoteJWKSet(new URL(uri), { timeoutDuration: 10_000 });
      this.jwks.set(provider, keys);
    }
    return keys;
  }

  /**
   * The account a proven identity signs in to: the one it is linked to; else an account with the
   * same address, joined only when the provider verified the address and the account confirmed it;
   * else a new account (confirmed when the provider verified the address).
   */
  private async signIn(proven: ProvenIdentity, client: ClientInfo): Promise<LoginResult> {
    const linked = await this.dataSource.manager.findOneBy(Identity, {
      provider: proven.provider,
      subject: proven.subject,
    });
    if (linked) {
      const user = await this.users.getById(linked.userId);
      if (proven.email !== null && proven.email !== linked.email) {
        await this.dataSource.manager.update(
          Identity,
          { id: linked.id },
          {
            email: proven.email,
            emailVerified: proven.emailVerified,
          },
        );
      }
      await this.logins.askSecondFactor(user, client);
      return this.logins.complete(user, 'oidc', client);
    }
    if (proven.email === null) {
      throw new AppError(
        'invalid_email',
        'the provider gave no email address: allow it to share one, then try again',
      );
    }
    const email = parseEmail(proven.email);
    const existing = await this.users.findByEmail(email.email);
    if (existing) {
      if (!proven.emailVerified || existing.confirmedAt === null) {
        throw new AppError(
          'identity_conflict',
          `an account with ${email.email} exists: sign in to it (password or another way), then link ${proven.provider} in your account settings`,
        );
      }
      await inTransaction(this.dataSource, (tx) => this.link(tx.manager, existing.id, proven));
      await this.logins.askSecondFactor(existing, client);
      return this.logins.complete(existing, 'oidc', client);
    }
    const user = await this.createAccount(proven, client);
    return this.logins.complete(user, 'oidc', client);
  }

  private async createAccount(proven: ProvenIdentity, client: ClientInfo): Promise<User> {
    const email = parseEmail(proven.email as string);
    const reservation = await this.credentials.reserveRegistration(client);
    try {
      return await inTransaction(this.dataSource, async (tx) => {
        const user = await this.users.create(tx.manager, {
          email,
          passwordHash: null,
          nick: null,
          nickKey: null,
        });
        if (proven.emailVerified) {
          await this.users.update(tx.manager, user.id, { confirmedAt: this.clock.now() });
          user.confirmedAt = this.clock.now();
        } else {
          await this.credentials.sendConfirmation(tx, user.id, user.email);
        }
        await this.link(tx.manager, user.id, proven);
        this.events.publish(tx, 'user.created', { userId: user.id });
        return user;
      });
    } catch (error) {
      await this.credentials.release(reservation);
      throw error;
    }
  }

  private async link(manager: EntityManager, userId: number, proven: ProvenIdentity): Promise<Identity> {
    const taken = await manager.findOneBy(Identity, { provider: proven.provider, subject: proven.subject });
    if (taken) {
      if (taken.userId === userId) return taken;
      throw new AppError(
        'identity_conflict',
        `this ${proven.provider} account signs in to another Unichat account`,
      );
    }
    const count = await manager.countBy(Identity, { userId, provider: proven.provider });
    if (count > 0) {
      throw new AppError(
        'identity_conflict',
        `another ${proven.provider} account is linked already: remove it first`,
      );
    }
    return manager.save(
      manager.create(Identity, {
        userId,
        provider: proven.provider,
        subject: proven.subject,
        email: proven.email,
        emailVerified: proven.emailVerified,
        createdAt: this.clock.now(),
      }),
    );
  }

  /**
   * POST /me/identities/:provider: links an identity the signed-in user proves, by a login code
   * from the web flow or an ID token (with its nonce) from a phone.
   */
  async linkProven(
    userId: number,
    provider: string,
    proof: { login_code?: string; id_token?: string; nonce?: string },
    client: ClientInfo,
  ): Promise<IdentityRecord> {
    let proven: ProvenIdentity | null;
    if (proof.login_code !== undefined) {
      proven = (await this.take('login_code', provider, proof.login_code)) as ProvenIdentity | null;
      if (!proven) throw new AppError('invalid_token', 'unknown, used or expired login_code');
    } else if (proof.id_token !== undefined && proof.nonce !== undefined) {
      proven = await this.verifyIdToken(provider, proof.id_token, proof.nonce, client);
    } else {
      throw new AppError('invalid_params', 'send login_code, or id_token with nonce');
    }
    const identity = await inTransaction(this.dataSource, (tx) => this.link(tx.manager, userId, proven));
    return toRecord(identity);
  }

  async list(userId: number): Promise<IdentityRecord[]> {
    const rows = await this.dataSource.manager.find(Identity, { where: { userId }, order: { id: 'ASC' } });
    return rows.map(toRecord);
  }

  /**
   * Removes a linked identity, named by its id (as `list` shows it) or by its provider (an account
   * has at most one per provider, and a provider's name is never all digits), unless it is the last
   * way left to sign in.
   */
  async unlink(userId: number, idOrProvider: string): Promise<void> {
    const byId = /^\d+$/.test(idOrProvider);
    const id = byId ? parseId(idOrProvider) : null;
    if (byId && id === null) throw new AppError('invalid_params', 'an identity id is a positive integer');
    await inTransaction(this.dataSource, async (tx) => {
      const identity = await tx.manager.findOneBy(
        Identity,
        id !== null ? { id, userId } : { provider: idOrProvider, userId },
      );
      if (!identity) {
        throw new AppError(
          'not_found',
          id !== null ? `no identity ${id} is linked` : `no ${idOrProvider} identity is linked`,
        );
      }
      const others = await tx.manager.countBy(Identity, { userId });
      const hasPassword = (await this.users.passwordHash(userId)) !== null;
      if (others <= 1 && !hasPassword) {
        throw new AppError(
          'invalid_params',
          'this is your only way to sign in: set a password (through "forgot password") or link another provider first',
        );
      }
      await tx.manager.delete(Identity, { id: identity.id, userId });
    });
  }

  /** Keeps a step of a sign-in under the SHA-256 of its random key, sealed. */
  private async keep(kind: OidcPending['kind'], provider: string, key: string, value: object, ttlMs: number) {
    const now = this.clock.nowMs();
    await inTransaction(this.dataSource, async (tx) => {
      await tx.manager.delete(OidcPending, { expiresAt: LessThan(new Date(now)) });
      await tx.manager.insert(OidcPending, {
        keyHash: sha256(key),
        kind,
        provider,
        sealed: this.box.seal(JSON.stringify(value)),
        expiresAt: new Date(now + ttlMs),
      });
    });
  }

  /** Takes (once: the row is deleted) a step kept by `keep`; null when unknown, used or expired. */
  private async take(
    kind: OidcPending['kind'],
    provider: string | null,
    key: string,
  ): Promise<object | null> {
    const row = await this.dataSource.manager.findOneBy(OidcPending, { keyHash: sha256(key), kind });
    if (!row) return null;
    const deleted = await inTransaction(this.dataSource, (tx) =>
      tx.manager.delete(OidcPending, { id: row.id }),
    );
    // Two requests with one key: only the one that deleted the row goes on.
    if (!deleted.affected) return null;
    if (row.expiresAt.getTime() <= this.clock.nowMs()) return null;
    if (provider !== null && row.provider !== provider) return null;
    return JSON.parse(this.box.openText(row.sealed)) as object;
  }
}

/** Apple may send `email_verified` as the string "true"; its private-relay addresses are real. */
function provenFrom(provider: string, claims: JWTPayload): ProvenIdentity {
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  return {
    provider,
    subject: String(claims.sub),
    email: typeof claims.email === 'string' && claims.email !== '' ? claims.email : null,
    emailVerified: verified,
  };
}

function toRecord(identity: Identity): IdentityRecord {
  return {
    id: identity.id,
    provider: identity.provider,
    email: identity.email,
    created_at: identity.createdAt.toISOString(),
  };
}
