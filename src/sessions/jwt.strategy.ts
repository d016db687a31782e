import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { type AuthUser } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { accessTokenKey } from './jwt-key.js';
import { type AccessClaims, SessionsService } from './sessions.service.js';

export interface AuthenticatedUser extends AuthUser {
  /** Whether the email was confirmed when the token was issued (false may be out of date). */
  emailConfirmedAtIssue: boolean;
  /** When the access token ends (its `exp`). */
  expiresAtMs: number;
}

/** The access token of a request, as passport-jwt reads it (`Authorization: Bearer <JWT>`). */
export const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** Checks `Authorization: Bearer <JWT>`: signature, expiry, and that its session is not revoked. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: bearerToken,
      // The key JwtModule signs with (passport-jwt's types say string; a KeyObject works).
      secretOrKey: accessTokenKey(config) as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  /**
   * Called by passport-jwt with the claims of a token whose signature and expiry it checked.
   * Passport keeps one 'jwt' strategy per process (the last application built), so this reads
   * only the token; `admit`, called by each application's own guard, asks its own sessions.
   */
  validate(claims: AccessClaims & { exp?: unknown }): AuthenticatedUser {
    if (!Number.isInteger(claims.sub) || !Number.isInteger(claims.sid)) throw new AppError('unauthorized');
    // jsonwebtoken checks `exp` only when present: a token without one would never expire.
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      throw new AppError('unauthorized', 'access token without an expiry');
    }
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      emailConfirmedAtIssue: claims.ec === true,
      expiresAtMs: claims.exp * 1000,
    };
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
