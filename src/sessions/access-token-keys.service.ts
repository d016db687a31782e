import { type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { parseId } from '../common/ids.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SIGNING_ALGORITHM, SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { accessTokenKey } from './jwt-key.js';

/** Who a verified access token names (see `userOfClaims`). */
export interface TokenUser {
  userId: number;
  sessionId: number;
  /** Whether the email was confirmed when the token was issued (false may be out of date). */
  emailConfirmedAtIssue: boolean;
  /** When the access token ends (its `exp`). */
  expiresAtMs: number;
}

interface Header {
  alg?: unknown;
  kid?: unknown;
}

interface Claims {
  sub?: unknown;
  sid?: unknown;
  ec?: unknown;
  iss?: unknown;
  aud?: unknown;
  iat?: unknown;
  exp?: unknown;
}

/**
 * How access tokens are signed and which key checks one. Tokens are ES256 JWTs with a `kid`, `iss`
 * (PUBLIC_URL), `aud` (JWT_AUDIENCE), `sub` (the user id as a string), `sid`, `iat` and `exp`.
 * Tokens from before the signing keys (HS256 under JWT_SECRET, `sub` a number) are accepted
 * only if issued before the first signing key was made, and only for one token lifetime after it:
 * nobody can mint a new one with the old secret.
 */
@Injectable()
export class AccessTokenKeys {
  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new access token for the session, valid for ACCESS_TOKEN_TTL. */
  sign(user: { userId: number; sessionId: number; emailConfirmed: boolean }): string {
    const { kid, privateKey } = this.signingKeys.signer();
    const nowSeconds = Math.floor(this.clock.nowMs() / 1000);
    return this.jwt.sign(
      {
        sub: String(user.userId),
        sid: user.sessionId,
        ec: user.emailConfirmed,
        iat: nowSeconds,
        exp: nowSeconds + this.config.accessTokenTtl,
      },
      {
        algorithm: SIGNING_ALGORITHM,
        keyid: kid,
        privateKey,
        issuer: this.config.publicUrl,
        audience: this.config.jwtAudience,
      },
    );
  }

  /**
   * The key that checks this token's signature, chosen from its header (ES256 by `kid`; HS256
   * only for a token from before the signing keys); refused when the claims it carries are not
   * ours. The signature is checked next, with this key, so nothing read here is trusted before.
   */
  async keyFor(token: string): Promise<KeyObject> {
    const decoded = this.jwt.decode(token, { complete: true }) as { header: Header; payload: Claims } | null;
    if (!decoded || typeof decoded.payload !== 'object')
      throw new AppError('unauthorized', 'not an access token');
    const { header, payload } = decoded;
    if (header.alg === SIGNING_ALGORITHM && typeof header.kid === 'string') {
      if (payload.iss !== this.config.publicUrl || !hasAudience(payload.aud, this.config.jwtAudience)) {
        throw new AppError('unauthorized', 'an access token of another issuer or audience');
      }
      const key = await this.signingKeys.publicKey(header.kid);
      if (!key) throw new AppError('unauthorized', 'an access token signed by an unknown key');
      return key;
    }
    if (header.alg === 'HS256' && this.acceptsLegacy(payload)) return accessTokenKey(this.config);
    throw new AppError('unauthorized', 'an access token in a form this service does not issue');
  }

  /** Checks a token outside a request (introspection): signature, expiry and claims. */
  async verify(token: string): Promise<TokenUser> {
    const key = await this.keyFor(token);
    let claims: Claims;
    try {
      claims = this.jwt.verify<Claims & object>(token, {
        // jsonwebtoken takes a KeyObject (its types say string or Buffer).
        publicKey: key as unknown as string,
        algorithms: [key.type === 'secret' ? 'HS256' : SIGNING_ALGORITHM],
        clockTimestamp: Math.floor(this.clock.nowMs() / 1000),
      });
    } catch {
      throw new AppError('unauthorized', 'a bad or expired access token');
    }
    return userOfClaims(claims);
  }

  /**
   * An HS256 token (the secret signed them before the signing keys) is one the service issued
   * before its first signing key, and so lives at most one token lifetime after that. Its `iat`
   * is checked against the signature next; a token with a later `iat` is one made since.
   */
  private acceptsLegacy(payload: Claims): boolean {
    const upgradeMs = this.signingKeys.firstKeyAtMs;
    const nowMs = this.clock.nowMs();
    return (
      nowMs < upgradeMs + this.config.accessTokenTtl * 1000 &&
      typeof payload.iat === 'number' &&
      payload.iat * 1000 < upgradeMs &&
      typeof payload.exp === 'number' &&
      payload.exp * 1000 <= upgradeMs + this.config.accessTokenTtl * 1000
    );
  }
}

function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** The user and session a verified token names; `unauthorized` when its claims are not ours. */
export function userOfClaims(claims: Claims): TokenUser {
  // `sub` is a string in ES256 tokens, a number in the HS256 tokens from before them.
  const userId = typeof claims.sub === 'string' ? parseId(claims.sub) : claims.sub;
  if (typeof userId !== 'number' || !Number.isInteger(userId) || userId < 1) {
    throw new AppError('unauthorized', 'an access token without a user');
  }
  if (typeof claims.sid !== 'number' || !Number.isInteger(claims.sid)) {
    throw new AppError('unauthorized', 'an access token without a session');
  }
  // jsonwebtoken checks `exp` only when present: a token without one would never expire.
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new AppError('unauthorized', 'access token without an expiry');
  }
  return {
    userId,
    sessionId: claims.sid,
    emailConfirmedAtIssue: claims.ec === true,
    expiresAtMs: claims.exp * 1000,
  };
}
