import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { type AuthUser } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type AccessClaims, SessionsService } from './sessions.service.js';

export interface AuthenticatedUser extends AuthUser {
  /** Whether the email was confirmed when the token was issued (false may be out of date). */
  emailConfirmedAtIssue: boolean;
}

/** Checks `Authorization: Bearer <JWT>`: signature, expiry, and that its session is not revoked. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not a string: jsonwebtoken first tries a string as a public key, ~1 ms a call.
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')) as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(claims: AccessClaims): AuthenticatedUser {
    if (
      !Number.isInteger(claims.sub) ||
      !Number.isInteger(claims.sid) ||
      this.sessions.isRevoked(claims.sid)
    ) {
      throw new AppError('unauthorized', 'the session of this access token has ended');
    }
    this.sessions.touch(claims.sid);
    return { userId: claims.sub, sessionId: claims.sid, emailConfirmedAtIssue: claims.ec === true };
  }
}
