import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';

describe('configuration', () => {
  it('serves a laptop with no variables at all', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.kind).toBe('sqlite');
    expect(config.redisUrl).toBeNull();
    expect(config.appRootUrl).toBe('http://localhost:3000/');
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.passwordResetCallbackUrl).toBe('http://localhost:3000/');
    // No secret made here: keepJwtSecret keeps one in DATA_DIR at start-up.
    expect(config.jwtSecret).toBeNull();
    expect(config.accessTokenTtl).toBe(900);
    expect(config.jwtAudience).toBe('unichat');
    expect(config.keyPublishDelaySeconds).toBe(600);
    expect(config.apns).toBeNull();
    expect(config.corsOrigins).toBe('*');
    expect(config.maxConnections).toBeNull();
    expect(loadConfig({ MAX_CONNECTIONS: '0' }).maxConnections).toBe(0);
    expect(config.keepAliveSeconds).toBe(65);
    expect(config.avatarFetch).toEqual({ allowHosts: [], caFile: null });
    expect(config.trustProxy).toBe(false);
    expect(config.headersTimeoutSeconds).toBe(10);
    expect(config.bodyTimeoutSeconds).toBe(30);
    expect(config.maxStreamsPerUser).toBe(20);
    expect(config.registrationsPerHour).toBe(10);
    expect(config.metricsToken).toBeNull();
    expect(config.metricsPort).toBeNull();
    expect(config.webhooks).toEqual({ allowPrivate: false, retryBaseMs: 5000 });
  });

  it('reads the webhook settings, refusing a retry unit that is no whole number of ms', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '100' }).webhooks).toEqual({
      allowPrivate: true,
      retryBaseMs: 100,
    });
    expect(() => loadConfig({ WEBHOOK_RETRY_BASE_MS: '0.5' })).toThrow(/WEBHOOK_RETRY_BASE_MS/);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });

  it('reads the metrics token and port', () => {
    const config = loadConfig({ METRICS_TOKEN: 'scrape-me-please-0123', METRICS_PORT: '9464' });
    expect(config.metricsToken).toBe('scrape-me-please-0123');
    expect(config.metricsPort).toBe(9464);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7 ,fd00::/8', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
    ['172.16.0.0/255.240.0.0', ['172.16.0.0/255.240.0.0']],
  ])('reads TRUST_PROXY=%s as Express reads trust proxy', (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it('selects PostgreSQL and Redis by their URLs', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db/x', REDIS_URL: 'redis://r:6379' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db/x' });
    expect(config.redisUrl).toBe('redis://r:6379');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ ACCESS_TOKEN_TTL: '5' }, /ACCESS_TOKEN_TTL/],
    [{ KEY_PUBLISH_DELAY: '0' }, /KEY_PUBLISH_DELAY must be a whole number from 1 to 86400/],
    [{ JWT_AUDIENCE: 'two words' }, /JWT_AUDIENCE/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [
      { PASSWORD_RESET_CALLBACK_URL: 'https://app.example/reset?from=mail' },
      /PASSWORD_RESET_CALLBACK_URL must not have a query/,
    ],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ CORS_ORIGINS: 'https://a.example,not a url' }, /CORS_ORIGINS/],
    [{ APNS_KEY_ID: 'ABC' }, /APNS_KEY_FILE must be set/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY .*"10.0.0.0\/33"/],
    [{ TRUST_PROXY: '10.0.0.1, proxy.example' }, /TRUST_PROXY .*"proxy.example"/],
    [{ TRUST_PROXY: '-1' }, /TRUST_PROXY/],
    [{ MAX_STREAMS_PER_USER: '0' }, /MAX_STREAMS_PER_USER/],
    [{ HEADERS_TIMEOUT_SECONDS: '0' }, /HEADERS_TIMEOUT_SECONDS/],
    [{ BODY_TIMEOUT_SECONDS: 'long' }, /BODY_TIMEOUT_SECONDS/],
    [{ REGISTRATIONS_PER_HOUR: '0' }, /REGISTRATIONS_PER_HOUR/],
    [{ KEEP_ALIVE_SECONDS: '600' }, /KEEP_ALIVE_SECONDS must be a whole number from 1 to 290/],
    [{ MAX_CONNECTIONS: '-1' }, /MAX_CONNECTIONS/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be 16 to 200/],
    [{ METRICS_PORT: '0' }, /METRICS_PORT must be a whole number from 1 to 65535/],
    [{ METRICS_PORT: '3000' }, /METRICS_PORT must differ from PORT/],
    [{ AVATAR_FETCH_ALLOW_HOSTS: 'images.example, http://x/' }, /AVATAR_FETCH_ALLOW_HOSTS .*"http:\/\/x\/"/],
    [{ AVATAR_FETCH_CA_FILE: '/nonexistent/ca.pem' }, /AVATAR_FETCH_CA_FILE must be a PEM certificate/],
    [{ OIDC_PROVIDERS: '{"name":"google"}' }, /OIDC_PROVIDERS must be a JSON list/],
    [{ OIDC_PROVIDERS: '[{"name":"google"}]' }, /OIDC_PROVIDERS\[0\]\.client_id is needed/],
    [{ OIDC_PROVIDERS: '[{"name":"corp","client_id":"x"}]' }, /OIDC_PROVIDERS\[0\]\.issuer is needed/],
    [
      { OIDC_PROVIDERS: '[{"name":"corp","client_id":"x","issuer":"http://idp.example"}]' },
      /issuer must be https:\/\//,
    ],
    [{ OIDC_PROVIDERS: '[{"name":"apple","client_id":"x"}]' }, /needs team_id, key_id and key_file/],
    [
      { OIDC_PROVIDERS: '[{"name":"42","issuer":"https://idp.example","client_id":"x"}]' },
      /name must not be digits alone/,
    ],
    [{ OIDC_PROVIDERS: '[{"name":"google","client_id":"x","secret":"s"}]' }, /unknown field "secret"/],
  ])('stops the start with one line naming the bad variable: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads a comma list of hosts allowed to lead avatar fetches to private addresses', () => {
    expect(
      loadConfig({ AVATAR_FETCH_ALLOW_HOSTS: ' images.intranet, 10.0.0.8 ,' }).avatarFetch.allowHosts,
    ).toEqual(['images.intranet', '10.0.0.8']);
  });

  it('takes the passkey relying party from PUBLIC_URL unless WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS say', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://chat.example.com:8443/' }).webauthn).toEqual({
      rpId: 'chat.example.com',
      origins: ['https://chat.example.com:8443'],
    });
    expect(
      loadConfig({
        PUBLIC_URL: 'https://api.example.com',
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_ORIGINS: 'https://example.com, https://app.example.com',
      }).webauthn,
    ).toEqual({ rpId: 'example.com', origins: ['https://example.com', 'https://app.example.com'] });
    expect(() =>
      loadConfig({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://evil.test' }),
    ).toThrow(/WEBAUTHN_ORIGINS/);
    expect(() => loadConfig({ WEBAUTHN_RP_ID: 'https://example.com' })).toThrow(/WEBAUTHN_RP_ID/);
  });

  it('asks Pwned Passwords only when PWNED_PASSWORDS_URL is set', () => {
    expect(loadConfig({}).pwnedPasswordsUrl).toBeNull();
    expect(loadConfig({ PWNED_PASSWORDS_URL: 'https://api.pwnedpasswords.com/' }).pwnedPasswordsUrl).toBe(
      'https://api.pwnedpasswords.com',
    );
    expect(() => loadConfig({ PWNED_PASSWORDS_URL: 'ftp://x' })).toThrow(/PWNED_PASSWORDS_URL/);
  });

  it('reads OpenID providers, with presets for Google and Apple', () => {
    const [google, corp] = loadConfig({
      OIDC_PROVIDERS: JSON.stringify([
        { name: 'google', client_id: 'g-id', client_secret: 'g-secret' },
        { name: 'corp', issuer: 'https://idp.corp.example', client_id: 'c', scopes: 'email profile' },
      ]),
    }).oidcProviders;
    expect(google).toMatchObject({
      issuer: 'https://accounts.google.com',
      clientSecret: 'g-secret',
      scopes: ['openid', 'email', 'profile'],
      responseMode: 'query',
    });
    expect(corp).toMatchObject({ clientSecret: null, scopes: ['openid', 'email', 'profile'], apple: null });
  });

  it("reads Apple's preset: its issuer, name and email asked for, the answer posted back, the team's key", () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'apple-key-')), 'AuthKey_KEY1234567.p8');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const [apple] = loadConfig({
      OIDC_PROVIDERS: JSON.stringify([
        {
          name: 'apple',
          client_id: 'com.unichat.web',
          team_id: 'TEAM123456',
          key_id: 'KEY1234567',
          key_file: keyFile,
        },
      ]),
    }).oidcProviders;
    expect(apple).toEqual({
      name: 'apple',
      issuer: 'https://appleid.apple.com',
      clientId: 'com.unichat.web',
      clientSecret: null,
      scopes: ['openid', 'email', 'name'],
      responseMode: 'form_post',
      apple: { teamId: 'TEAM123456', keyId: 'KEY1234567', keyFile },
    });
  });

  it('reads a comma list of CORS origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
  });
});
