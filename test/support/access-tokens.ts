import { JwtService } from '@nestjs/jwt';
import { SigningKeysService } from '../../src/signing-keys/signing-keys.service.js';
import type { TestApp } from './harness.js';

/**
 * An access token with these claims, signed by the service's current key as the service signs
 * (ES256, kid, iss, aud): for tests of what the service does with odd but well-signed tokens.
 */
export function signAccessToken(t: TestApp, claims: object, options: { expiresIn?: number } = {}): string {
  const { kid, privateKey } = t.app.get(SigningKeysService).signer();
  return t.app.get(JwtService).sign(claims, {
    algorithm: 'ES256',
    keyid: kid,
    privateKey,
    issuer: t.config.publicUrl,
    audience: t.config.jwtAudience,
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
}
