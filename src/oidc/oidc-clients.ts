import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type OidcProviderConfig } from '../config/oidc-config.js';

/**
 * The configured OpenID providers as openid-client configurations, each found once through its
 * issuer's discovery document (again after a failure, so a provider down at start is not fatal).
 */
@Injectable()
export class OidcClients {
  private readonly found = new Map<string, Promise<client.Configuration>>();
  private readonly appleKeys = new Map<string, KeyObject>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  names(): string[] {
    return this.config.oidcProviders.map((provider) => provider.name);
  }

  /** The provider's settings; `not_found` for a name that is not configured. */
  provider(name: string): OidcProviderConfig {
    const provider = this.config.oidcProviders.find((candidate) => candidate.name === name);
    if (!provider) throw new AppError('not_found', `no sign-in provider is named "${name}"`);
    return provider;
  }

  /** Where the provider sends the browser back: this service's callback route. */
  redirectUri(name: string): string {
    return `${this.config.publicUrl}/api/v1/auth/oidc/${name}/callback`;
  }

  configuration(name: string): Promise<client.Configuration> {
    let found = this.found.get(name);
    if (!found) {
      found = this.discover(this.provider(name));
      this.found.set(name, found);
      found.catch(() => this.found.delete(name));
    }
    return found.catch((error: unknown) => {
      throw new AppError(
        'unavailable',
        `the sign-in provider "${name}" does not answer (${(error as Error).message})`,
      );
    });
  }

  private async discover(provider: OidcProviderConfig): Promise<client.Configuration> {
    const issuer = new URL(provider.issuer);
    const plainHttp = issuer.protocol === 'http:';
    const configuration = await client.discovery(
      issuer,
      provider.clientId,
      { redirect_uris: [this.redirectUri(provider.name)] },
      this.clientAuth(provider),
      plainHttp ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
    );
    return configuration;
  }

  private clientAuth(provider: OidcProviderConfig): client.ClientAuth {
    if (provider.apple) {
      const apple = provider.apple;
      // Apple takes a fresh ES256 JWT as the client secret, signed with the team's key.
      return (_server, _client, body) => {
        body.set('client_id', provider.clientId);
        body.set('client_secret', this.appleClientSecret(provider, apple));
      };
    }
    if (provider.clientSecret === null) return client.None();
    return client.ClientSecretPost(provider.clientSecret);
  }

  /**
   * Sign in with Apple's client secret: `{iss: team id, sub: client id, aud: Apple's issuer}`,
   * five minutes long, header `kid` the key id (Apple allows up to six months; short is safer).
   */
  appleClientSecret(provider: OidcProviderConfig, apple: NonNullable<OidcProviderConfig['apple']>): string {
    let key = this.appleKeys.get(apple.keyFile);
    if (!key) {
      key = createPrivateKey(readFileSync(apple.keyFile, 'utf8'));
      this.appleKeys.set(apple.keyFile, key);
    }
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'ES256', kid: apple.keyId })}.${part({
      iss: apple.teamId,
      iat: now,
      exp: now + 300,
      aud: provider.issuer,
      sub: provider.clientId,
    })}`;
    const signature = sign('sha256', Buffer.from(unsigned), { key, dsaEncoding: 'ieee-p1363' });
    return `${unsigned}.${signature.toString('base64url')}`;
  }
}
