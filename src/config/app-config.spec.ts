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
    expect(config.jwtSecretGenerated).toBe(true);
    expect(config.accessTokenTtl).toBe(900);
    expect(config.apns).toBeNull();
    expect(config.corsOrigins).toBe('*');
    expect(config.maxConnections).toBe(0);
    expect(config.keepAliveSeconds).toBe(65);
    expect(config.avatarFetch).toEqual({ allowHosts: [], caFile: null });
    expect(config.metricsToken).toBeNull();
    expect(config.metricsPort).toBeNull();
  });

  it('reads the metrics token and port', () => {
    const config = loadConfig({ METRICS_TOKEN: 'scrape-me-please-0123', METRICS_PORT: '9464' });
    expect(config.metricsToken).toBe('scrape-me-please-0123');
    expect(config.metricsPort).toBe(9464);
  });

  it('selects PostgreSQL and Redis by their URLs', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db/x', REDIS_URL: 'redis://r:6379' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db/x' });
    expect(config.redisUrl).toBe('redis://r:6379');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ ACCESS_TOKEN_TTL: '5' }, /ACCESS_TOKEN_TTL/],
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
    [{ KEEP_ALIVE_SECONDS: '600' }, /KEEP_ALIVE_SECONDS must be a whole number from 1 to 290/],
    [{ MAX_CONNECTIONS: '-1' }, /MAX_CONNECTIONS/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be 16 to 200/],
    [{ METRICS_PORT: '0' }, /METRICS_PORT must be a whole number from 1 to 65535/],
    [{ METRICS_PORT: '3000' }, /METRICS_PORT must differ from PORT/],
    [{ AVATAR_FETCH_ALLOW_HOSTS: 'images.example, http://x/' }, /AVATAR_FETCH_ALLOW_HOSTS .*"http:\/\/x\/"/],
    [{ AVATAR_FETCH_CA_FILE: '/nonexistent/ca.pem' }, /AVATAR_FETCH_CA_FILE must be a PEM certificate/],
  ])('stops the start with one line naming the bad variable: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads a comma list of hosts allowed to lead avatar fetches to private addresses', () => {
    expect(
      loadConfig({ AVATAR_FETCH_ALLOW_HOSTS: ' images.intranet, 10.0.0.8 ,' }).avatarFetch.allowHosts,
    ).toEqual(['images.intranet', '10.0.0.8']);
  });

  it('reads a comma list of CORS origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
  });
});
