import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { type AuthUser } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { type AccessTokenKeys, type TokenUser, userOfClaims } from './access-token-keys.service.js';
import { SessionsService } from './sessions.service.js';

export interface AuthenticatedUser extends AuthUser, TokenUser {}

/** The access token of a request, as passport-jwt reads it (`Authorization: Bearer <JWT>`). */
export const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Where the guard leaves its application's keys for passport-jwt: passport keeps one 'jwt'
 * strategy per process (the last application built), while each application has its own keys.
 */
export const TOKEN_KEYS = Symbol('access token keys');

/** Checks `Authorization: Bearer <JWT>`: signature (key chosen by `kid`), expiry, and that its session is not revoked. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(private readonly sessions: SessionsService) {
    super({
      jwtFromRequest: bearerToken,
      secretOrKeyProvider: (
        request: { [TOKEN_KEYS]?: AccessTokenKeys },
        token: string,
        done: (error: unknown, key?: KeyObject) => void,
      ) => {
        const keys = request[TOKEN_KEYS];
        if (!keys) return done(new AppError('unauthorized'));
        keys.keyFor(token).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
      // keyFor gives an HMAC key to HS256 tokens from before the signing keys only.
      algorithms: ['ES256', 'HS256'],
      ignoreExpiration: false,
    } as never);
  }

  /**
   * Called by passport-jwt with the claims of a token whose signature and expiry it checked.
   * This reads only the token; `admit`, called by each application's own guard, asks its own sessions.
   */
  validate(claims: Record<string, unknown>): AuthenticatedUser {
    return userOfClaims(claims);
  }

  /**
   * For a token seen for the first time on this instance: its session is live in the database. The
   * in-memory list of revocations covers only the last token lifetime of this instance's
   * configuration, and may be out of date while the bus is away.
   */
  async admitFirstUse(user: AuthenticatedUser): Promise<AuthenticatedUser> {
    if (!(await this.sessions.isLive(user.sessionId, user.userId))) {
      throw new AppError('unauthorized', 'the session of this access token has ended');
    }
    return this.admit(user);
  }

  /** Whether the revocations kept in memory are complete now (else `admitFirstUse` asks the database). */
  get revocationsInSync(): boolean {
    return this.sessions.revocationsInSync;
  }

  /** What holds at every request, for a token verified now or before: its session has not ended. */
  admit(user: AuthenticatedUser): AuthenticatedUser {
    if (this.sessions.isRevoked(user.sessionId)) {
      throw new AppError('unauthorized', 'the session of this access token has ended');
    }
    this.sessions.touch(user.sessionId);
    return user;
  }
}
