import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** One OpenID provider people may sign in with (OIDC_PROVIDERS). */
export interface OidcProviderConfig {
  /** In routes: /auth/oidc/<name>/start. */
  name: string;
  issuer: string;
  clientId: string;
  /** null: a public client (PKCE alone), or Apple, whose secret is a JWT signed per request. */
  clientSecret: string | null;
  scopes: string[];
  /** Apple posts the answer back (form_post) when a name or email is asked for. */
  responseMode: 'query' | 'form_post';
  /** Sign in with Apple: the client secret is an ES256 JWT signed with the team's .p8 key. */
  apple: { teamId: string; keyId: string; keyFile: string } | null;
}

/** What a known provider needs by default; any field may still be given (tests point the issuer elsewhere). */
const PRESETS: Record<string, Pick<OidcProviderConfig, 'issuer' | 'scopes' | 'responseMode'>> = {
  apple: {
    issuer: 'https://appleid.apple.com',
    scopes: ['openid', 'email', 'name'],
    responseMode: 'form_post',
  },
  google: {
    issuer: 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
    responseMode: 'query',
  },
};

const FIELDS = [
  'name',
  'issuer',
  'client_id',
  'client_secret',
  'scopes',
  'response_mode',
  'team_id',
  'key_id',
  'key_file',
];

/**
 * OIDC_PROVIDERS: a JSON list of `{name, issuer, client_id, client_secret, scopes}`; `apple` and
 * `google` need only their client's fields. Throws a message naming what is wrong.
 */
export function readOidcProviders(raw: string | undefined): OidcProviderConfig[] {
  if (raw === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new Error('OIDC_PROVIDERS must be a JSON list of providers');
  }
  if (!Array.isArray(list)) throw new Error('OIDC_PROVIDERS must be a JSON list of providers');
  const names = new Set<string>();
  return list.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new Error(`OIDC_PROVIDERS[${index}] must be an object`);
    }
    const fields = entry as Record<string, unknown>;
    const unknown = Object.keys(fields).find((key) => !FIELDS.includes(key));
    if (unknown) throw new Error(`OIDC_PROVIDERS[${index}] has an unknown field "${unknown}"`);
    const text = (key: string): string | undefined => {
      const value = fields[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string' || value.trim() === '') {
        throw new Error(`OIDC_PROVIDERS[${index}].${key} must be a non-empty string`);
      }
      return value.trim();
    };
    const name = text('name');
    if (name === undefined || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) {
      throw new Error(`OIDC_PROVIDERS[${index}].name must be 1 to 32 lower-case letters, digits or dashes`);
    }
    // DELETE /me/identities/:x reads digits alone as an identity's id.
    if (/^\d+$/.test(name)) throw new Error(`OIDC_PROVIDERS[${index}].name must not be digits alone`);
    if (names.has(name)) throw new Error(`OIDC_PROVIDERS names "${name}" twice`);
    names.add(name);
    const preset = PRESETS[name];
    const issuer = text('issuer') ?? preset?.issuer;
    if (issuer === undefined) throw new Error(`OIDC_PROVIDERS[${index}].issuer is needed for "${name}"`);
    let issuerUrl: URL;
    try {
      issuerUrl = new URL(issuer);
    } catch {
      throw new Error(`OIDC_PROVIDERS[${index}].issuer must be a URL`);
    }
    // Plain http only for a provider on this machine (a test or development provider).
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuerUrl.hostname);
    if (issuerUrl.protocol !== 'https:' && !(issuerUrl.protocol === 'http:' && loopback)) {
      throw new Error(`OIDC_PROVIDERS[${index}].issuer must be https:// (http:// only on loopback)`);
    }
    const clientId = text('client_id');
    if (clientId === undefined) throw new Error(`OIDC_PROVIDERS[${index}].client_id is needed`);
    const scopesField = fields.scopes;
    let scopes = preset?.scopes ?? ['openid', 'email', 'profile'];
    if (scopesField !== undefined) {
      const given = typeof scopesField === 'string' ? scopesField.split(/[\s,]+/) : scopesField;
      if (!Array.isArray(given) || given.some((scope) => typeof scope !== 'string' || scope === '')) {
        throw new Error(`OIDC_PROVIDERS[${index}].scopes must be a list of scopes`);
      }
      scopes = given as string[];
    }
    if (!scopes.includes('openid')) scopes = ['openid', ...scopes];
    const mode = text('response_mode') ?? preset?.responseMode ?? 'query';
    if (mode !== 'query' && mode !== 'form_post') {
      throw new Error(`OIDC_PROVIDERS[${index}].response_mode must be query or form_post`);
    }
    const [teamId, keyId, keyFile] = [text('team_id'), text('key_id'), text('key_file')];
    let apple: OidcProviderConfig['apple'] = null;
    if (teamId !== undefined || keyId !== undefined || keyFile !== undefined) {
      if (teamId === undefined || keyId === undefined || keyFile === undefined) {
        throw new Error(
          `OIDC_PROVIDERS[${index}] needs team_id, key_id and key_file together (Sign in with Apple)`,
        );
      }
      const file = resolve(keyFile);
      try {
        if (createPrivateKey(readFileSync(file, 'utf8')).asymmetricKeyType !== 'ec') throw new Error();
      } catch {
        throw new Error(`OIDC_PROVIDERS[${index}].key_file must be an EC private key (.p8), got "${file}"`);
      }
      apple = { teamId, keyId, keyFile: file };
    }
    const clientSecret = text('client_secret') ?? null;
    if (name === 'apple' && apple === null) {
      throw new Error(`OIDC_PROVIDERS[${index}] (apple) needs team_id, key_id and key_file`);
    }
    return { name, issuer, clientId, clientSecret, scopes, responseMode: mode, apple };
  });
}
