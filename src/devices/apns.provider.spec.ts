import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApnsConfig, ConfigError, loadConfig } from '../config/app-config.js';
import { apnsEndpoint, apnsNotification, apnsProviderOptions } from './apns.provider.js';
import { pushMessages } from './push-messages.js';

describe('APNs connection', () => {
  const base: ApnsConfig = {
    keyFile: '/keys/AuthKey.p8',
    keyId: 'KEY1234567',
    teamId: 'TEAM123456',
    topic: 'com.example.unichat',
    production: false,
    host: null,
    port: null,
    caFile: null,
    retryBaseMs: 1000,
  };

  it('uses token auth against the sandbox by default, and leaves retrying to us', () => {
    const options = apnsProviderOptions(base);
    expect(options).toEqual({
      token: { key: '/keys/AuthKey.p8', keyId: 'KEY1234567', teamId: 'TEAM123456' },
      production: false,
      connectionRetryLimit: 0,
    });
    expect(apnsEndpoint(base)).toBe('api.sandbox.push.apple.com:443');
    expect(apnsEndpoint({ ...base, production: true })).toBe('api.push.apple.com:443');
  });

  it('points at a test server by APNS_HOST / APNS_PORT and trusts APNS_CA_FILE', () => {
    const config = { ...base, host: '127.0.0.1', port: 2197, caFile: '/tmp/ca.pem' };
    expect(apnsProviderOptions(config)).toMatchObject({
      address: '127.0.0.1',
      port: 2197,
      ca: ['/tmp/ca.pem'],
    });
    expect(apnsEndpoint(config)).toBe('127.0.0.1:2197');
  });

  it('builds an alert push with the topic, a day of expiry, its collapse id and the unichat payload', () => {
    const now = Date.parse('2025-11-23T10:00:00Z');
    const notification = apnsNotification(
      pushMessages.contactAdded({ id: 42, nick: 'Annabel' }),
      base.topic,
      now,
      'contact_added:42',
    );
    // What becomes the apns-topic, apns-push-type, apns-priority and apns-expiration headers.
    expect(notification).toMatchObject({
      topic: 'com.example.unichat',
      pushType: 'alert',
      priority: 10,
      expiry: now / 1000 + 86400,
      collapseId: 'contact_added:42',
    });
    expect(JSON.parse(JSON.stringify(notification))).toEqual({
      aps: { alert: { title: 'New contact', body: 'Annabel added you as a contact.' }, sound: 'default' },
      unichat: { event: 'contact_added', user_id: 42 },
    });
  });
});

describe('APNs configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'unichat-apns-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const vars = (extra: Record<string, string>) => ({
    APNS_KEY_ID: 'KEY1234567',
    APNS_TEAM_ID: 'TEAM123456',
    APNS_TOPIC: 'com.example.unichat',
    ...extra,
  });

  function keyFile(): string {
    const file = join(dir, 'AuthKey.p8');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return file;
  }

  it('reads a usable key, with the retry base defaulting to one second', () => {
    const apns = loadConfig(vars({ APNS_KEY_FILE: keyFile() })).apns;
    expect(apns).toMatchObject({
      keyId: 'KEY1234567',
      production: false,
      host: null,
      caFile: null,
      retryBaseMs: 1000,
    });
  });

  it.each([
    [
      { APNS_KEY_FILE: '/nonexistent/AuthKey.p8' },
      /^APNS_KEY_FILE must be an EC private key \(\.p8\), got "\/nonexistent\/AuthKey\.p8" \(ENOENT\)$/,
    ],
    [{ APNS_HOST: 'https://api.push.apple.com' }, /^APNS_HOST must be a host name/],
    [{ APNS_RETRY_BASE_MS: '0' }, /^APNS_RETRY_BASE_MS must be a whole number/],
    [{ APNS_CA_FILE: '/nonexistent/ca.pem' }, /^APNS_CA_FILE must be a PEM certificate/],
  ])('stops the start with one line naming a bad APNs variable: %o', (extra, message) => {
    const env = vars({ APNS_KEY_FILE: keyFile(), ...extra });
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses a key file that is not a key', () => {
    const file = join(dir, 'not-a-key.p8');
    writeFileSync(file, 'hello');
    expect(() => loadConfig(vars({ APNS_KEY_FILE: file }))).toThrow(
      /^APNS_KEY_FILE must be an EC private key/,
    );
  });
});
