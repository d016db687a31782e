import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpush from 'web-push';
import { ConfigError, loadConfig } from '../config/app-config.js';

describe('FCM and Web Push configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'unichat-push-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const rsaKey = () =>
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  function accountFile(fields: Record<string, unknown>, name = 'account.json'): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'unichat-prod',
        private_key_id: 'abc123',
        private_key: rsaKey(),
        client_email: 'push@unichat-prod.iam.gserviceaccount.com',
        token_uri: 'https://oauth2.googleapis.com/token',
        ...fields,
      }),
    );
    return file;
  }

  it('turns Android pushes off and Web Push on with kept keys when nothing is set', () => {
    const config = loadConfig({});
    expect(config.fcm).toBeNull();
    expect(config.webPush).toEqual({
      vapidKeys: null,
      subject: 'mailto:no-reply@unichat.local',
      allowPrivate: false,
      caFile: null,
      retryBaseMs: 1000,
    });
  });

  it("reads the service account, FCM's endpoint by default and the account's own token endpoint", () => {
    const fcm = loadConfig({ FCM_SERVICE_ACCOUNT_FILE: accountFile({}) }).fcm;
    expect(fcm).toMatchObject({
      projectId: 'unichat-prod',
      clientEmail: 'push@unichat-prod.iam.gserviceaccount.com',
      privateKeyId: 'abc123',
      tokenUri: 'https://oauth2.googleapis.com/token',
      endpoint: 'https://fcm.googleapis.com',
      retryBaseMs: 1000,
    });
    const local = loadConfig({
      FCM_SERVICE_ACCOUNT_FILE: accountFile({ token_uri: 'http://127.0.0.1:9/token' }),
      FCM_ENDPOINT: 'http://127.0.0.1:9/',
      PUSH_RETRY_BASE_MS: '40',
    }).fcm;
    expect(local).toMatchObject({
      tokenUri: 'http://127.0.0.1:9/token',
      endpoint: 'http://127.0.0.1:9',
      retryBaseMs: 40,
    });
  });

  it.each([
    ['a file that is missing', () => '/nonexistent/account.json', /\(ENOENT\)$/],
    ['not JSON', () => (writeFileSync(join(dir, 'x.json'), 'hello'), join(dir, 'x.json')), /\(not JSON\)$/],
    ['another kind of key', () => accountFile({ type: 'authorized_user' }), /type is not "service_account"/],
    ['no client_email', () => accountFile({ client_email: undefined }), /\(no client_email\)$/],
    [
      'an EC key',
      () =>
        accountFile({
          private_key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }),
        }),
      /private_key is not an RSA private key/,
    ],
    [
      'a token_uri that is not http(s)',
      () => accountFile({ token_uri: 'ftp://x/token' }),
      /token_uri is not an http\(s\) URL/,
    ],
  ])('stops the start naming FCM_SERVICE_ACCOUNT_FILE for %s', (_case, file, message) => {
    const env = { FCM_SERVICE_ACCOUNT_FILE: file() };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/^FCM_SERVICE_ACCOUNT_FILE must be a service account key \(JSON\)/);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses FCM_ENDPOINT without a service account', () => {
    expect(() => loadConfig({ FCM_ENDPOINT: 'http://127.0.0.1:9' })).toThrow(
      'FCM_SERVICE_ACCOUNT_FILE must be set when FCM_ENDPOINT is',
    );
  });

  it('takes a VAPID key pair, its subject and the test settings from the environment', () => {
    const keys = webpush.generateVAPIDKeys();
    const config = loadConfig({
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: keys.privateKey,
      VAPID_SUBJECT: 'https://unichat.example/contact',
      PUSH_ALLOW_PRIVATE: 'true',
      MAIL_FROM: 'Unichat <hello@unichat.example>',
    }).webPush;
    expect(config).toMatchObject({
      vapidKeys: keys,
      subject: 'https://unichat.example/contact',
      allowPrivate: true,
    });
    expect(loadConfig({ MAIL_FROM: 'Unichat <hello@unichat.example>' }).webPush.subject).toBe(
      'mailto:hello@unichat.example',
    );
  });

  it.each([
    [{ VAPID_PUBLIC_KEY: 'x' }, 'VAPID_PRIVATE_KEY must be set when VAPID_PUBLIC_KEY is'],
    [
      { VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: 'short' },
      /^VAPID_PUBLIC_KEY must be a P-256 public key/,
    ],
    [
      { VAPID_SUBJECT: 'http://unichat.example' },
      /^VAPID_SUBJECT must be a mailto: address or an https:\/\/ URL/,
    ],
    [{ WEB_PUSH_CA_FILE: '/nonexistent/ca.pem' }, /^WEB_PUSH_CA_FILE must be a PEM certificate/],
  ])('stops the start naming a bad Web Push variable: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses a VAPID public key that is not the private key’s', () => {
    const [one, other] = [webpush.generateVAPIDKeys(), webpush.generateVAPIDKeys()];
    expect(() =>
      loadConfig({ VAPID_PUBLIC_KEY: one.publicKey, VAPID_PRIVATE_KEY: other.privateKey }),
    ).toThrow('VAPID_PUBLIC_KEY must be the public key of VAPID_PRIVATE_KEY');
  });
});
