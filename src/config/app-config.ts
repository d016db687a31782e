import { createECDH, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { type OidcProviderConfig, readOidcProviders } from './oidc-config.js';

/** Everything the service reads from its environment, validated once at start-up. */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments (or test runs) can share one Redis. */
  redisPrefix: string;
  appRootUrl: string;
  publicUrl: string;
  passwordResetCallbackUrl: string;
  /** HMAC key of access tokens and SSE codes: JWT_SECRET, or the one kept in DATA_DIR (see kept-jwt-secret.ts). */
  jwtSecret: string;
  accessTokenTtl: number;
  /** `aud` of access tokens (JWT_AUDIENCE); their `iss` is publicUrl. */
  jwtAudience: string;
  /** Seconds a new signing key is published in the JWKS before it signs (KEY_PUBLISH_DELAY). */
  keyPublishDelaySeconds: number;
  smtpUrl: string | null;
  mailFrom: string;
  /** First retry delay of an undeliverable mail; doubles on each attempt, capped at one hour. */
  mailRetryBaseMs: number;
  apns: ApnsConfig | null;
  /** Firebase Cloud Messaging (Android devices); null: android pushes off. */
  fcm: FcmConfig | null;
  /** Web Push (browsers), always on: the VAPID keys are kept in DATA_DIR unless given. */
  webPush: WebPushConfig;
  corsOrigins: '*' | string[];
  /**
   * Express's `trust proxy`: false, true (every hop: the client can choose its address), the
   * number of proxies in front, or the addresses/subnets of the proxies (`loopback` and the like).
   */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** Seconds after which a crashed instance's streams stop counting as online. */
  presenceTtlSeconds: number;
  /** Seconds between a user's last stream closing and the offline event (a page reload does not flicker). */
  presenceGraceSeconds: number;
  /** Seconds a chat-type push waits for an open stream to take its event before it goes to the phones. */
  pushStreamGraceSeconds: number;
  /** Seconds within which the same notification is not pushed to a user twice. */
  pushDedupeSeconds: number;
  /** Seconds between the keep-alive comment lines of an SSE stream. */
  sseHeartbeatSeconds: number;
  /** Seconds a QR login code can be approved (two minutes). */
  qrTtlSeconds: number;
  /** QR login codes one client address may ask for in 10 minutes (a page renewing its code needs 5). */
  qrCodesPerAddress: number;
  /**
   * Open connections (streams included) beyond which new ones are refused; 0: no limit but the
   * OS's; null (unset): most of the open-file limit.
   */
  maxConnections: number | null;
  /** Seconds an idle keep-alive connection stays open; above a load balancer's idle timeout. */
  keepAliveSeconds: number;
  /** Seconds a request's headers may take to arrive; then the connection is closed. */
  headersTimeoutSeconds: number;
  /** Seconds a request's body may take after the headers' time; then the connection is closed. */
  bodyTimeoutSeconds: number;
  /** Open event streams one user may hold on all instances together. */
  maxStreamsPerUser: number;
  /** Registrations one client address may make in an hour. */
  registrationsPerHour: number;
  /** Bearer token /metrics asks for; null: none (see metricsPort). */
  metricsToken: string | null;
  /** Port of a server of its own for /metrics (then not on the main port); null: the main port. */
  metricsPort: number | null;
  /** Passkeys: the relying party's ID (a host name) and the page origins a passkey may be used from. */
  webauthn: { rpId: string; origins: string[] };
  /** Base URL of a Pwned Passwords range API (`<url>/range/<5 hex>`); null: not asked. */
  pwnedPasswordsUrl: string | null;
  /** OpenID providers people may sign in with (OIDC_PROVIDERS); empty: none. */
  oidcProviders: OidcProviderConfig[];
  /** Fetching the `https://` avatar URLs given to PATCH /me. */
  avatarFetch: {
    /** Hosts that may resolve to private addresses (refused otherwise). */
    allowHosts: string[];
    /** PEM CA certificate(s) trusted besides Node's own. */
    caFile: string | null;
  };
  webhooks: {
    /** `http://` endpoint URLs and private addresses are allowed (tests, a private network). */
    allowPrivate: boolean;
    /**
     * The first retry's delay (5 s). The whole schedule scales with it, and so do the five days
     * after which an endpoint that failed every try is disabled: tests shorten it, nobody else.
     */
    retryBaseMs: number;
  };
}

export interface ApnsConfig {
  keyFile: string;
  keyId: string;
  teamId: string;
  topic: string;
  production: boolean;
  host: string | null;
  port: number | null;
  /** PEM CA certificate(s) trusted for the APNs connection instead of the default ones (a test server). */
  caFile: string | null;
  /** First retry delay of a push APNs could not take now (429, 5xx); doubles on each of the 3 retries. */
  retryBaseMs: number;
}

export interface FcmConfig {
  serviceAccountFile: string;
  projectId: string;
  clientEmail: string;
  /** The service account's RSA key (PEM): signs the JWT-bearer assertion of each access token. */
  privateKey: string;
  privateKeyId: string | null;
  /** Where access tokens are asked for: the service account's `token_uri`. */
  tokenUri: string;
  /** FCM's base URL (FCM_ENDPOINT): messages go to `<endpoint>/v1/projects/<project>/messages:send`. */
  endpoint: string;
  /** First retry delay of a push FCM could not take now (429, 5xx); doubles on each of the 3 retries. */
  retryBaseMs: number;
}

export interface WebPushConfig {
  /** VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY (base64url); null: made once and kept in DATA_DIR. */
  vapidKeys: { publicKey: string; privateKey: string } | null;
  /** VAPID_SUBJECT: how a push service reaches the sender (`mailto:` or `https:`). */
  subject: string;
  /** PUSH_ALLOW_PRIVATE: endpoints may be `http://` or lead to private addresses (tests only). */
  allowPrivate: boolean;
  /** WEB_PUSH_CA_FILE: PEM CA certificate(s) trusted besides Node's for push endpoints (a test server). */
  caFile: string | null;
  retryBaseMs: number;
}

/**
 * What `loadConfig` reads from the environment alone. Without JWT_SECRET the secret is null here:
 * `keepJwtSecret` supplies the one kept in DATA_DIR, at start-up, outside this pure function.
 */
export type EnvConfig = Omit<AppConfig, 'jwtSecret'> & { jwtSecret: string | null };

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): EnvConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return Number(raw);
  };
  const url = (name: string, fallback: string, protocols: string[]): string => {
    const raw = read(name) ?? fallback;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`${name} must be a URL, got "${raw}"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(
        `${name} must start with ${protocols.map((p) => p + '//').join(' or ')}, got "${raw}"`,
      );
    }
    return raw;
  };
  const flag = (name: string): boolean => {
    const raw = read(name);
    if (raw === undefined) return false;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  };

  const port = integer('PORT', 3000, 0, 65535);
  const dataDir = resolve(read('DATA_DIR') ?? './data');
  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined) url('DATABASE_URL', '', ['postgres:', 'postgresql:']);
  const redisUrl = read('REDIS_URL') === undefined ? null : url('REDIS_URL', '', ['redis:', 'rediss:']);

  const appRootUrl = url('APP_ROOT_URL', `http://localhost:${port}/`, ['http:', 'https:']);
  const publicUrl = url('PUBLIC_URL', `http://localhost:${port}`, ['http:', 'https:']).replace(/\/+$/, '');
  const passwordResetCallbackUrl = url('PASSWORD_RESET_CALLBACK_URL', appRootUrl, ['http:', 'https:']);
  if (new URL(passwordResetCallbackUrl).search !== '') {
    throw new ConfigError(
      `PASSWORD_RESET_CALLBACK_URL must not have a query part (the token is appended as ?password_reset_token=), got "${passwordResetCallbackUrl}"`,
    );
  }

  const secret = read('JWT_SECRET');
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }

  const logLevel = read('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const cors = read('CORS_ORIGINS') ?? '*';
  const corsOrigins =
    cors === '*'
      ? '*'
      : cors.split(',').map((origin) => {
          const trimmed = origin.trim();
          if (!/^https?:\/\/[^/\s]+$/.test(trimmed)) {
            throw new ConfigError(`CORS_ORIGINS must be * or a comma list of origins, got "${trimmed}"`);
          }
          return trimmed;
        });

  const pushRetryBaseMs = integer('PUSH_RETRY_BASE_MS', 1000, 10, 600_000);
  const mailFrom = read('MAIL_FROM') ?? 'Unichat <no-reply@unichat.local>';

  const metricsToken = read('METRICS_TOKEN') ?? null;
  if (metricsToken !== null && !/^[\x21-\x7e]{16,200}$/.test(metricsToken)) {
    throw new ConfigError('METRICS_TOKEN must be 16 to 200 printable characters without spaces');
  }
  const metricsPort = integer('METRICS_PORT', 0, 1, 65535) || null;
  if (metricsPort !== null && metricsPort === port) {
    throw new ConfigError(`METRICS_PORT must differ from PORT, got ${metricsPort}`);
  }

  const pwnedPasswordsUrl =
    read('PWNED_PASSWORDS_URL') === undefined
      ? null
      : url('PWNED_PASSWORDS_URL', '', ['http:', 'https:']).replace(/\/+$/, '');

  return {
    port,
    host: read('HOST') ?? '0.0.0.0',
    dataDir,
    database:
      databaseUrl === undefined
        ? { kind: 'sqlite', file: resolve(dataDir, 'unichat.sqlite') }
        : { kind: 'postgres', url: databaseUrl },
    redisUrl,
    redisPrefix: read('REDIS_PREFIX') ?? 'unichat:',
    appRootUrl,
    publicUrl,
    passwordResetCallbackUrl,
    jwtSecret: secret ?? null,
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', 900, 30, 86400),
    jwtAudience: readAudience(read('JWT_AUDIENCE')),
    keyPublishDelaySeconds: integer('KEY_PUBLISH_DELAY', 600, 1, 86400),
    smtpUrl: read('SMTP_URL') === undefined ? null : url('SMTP_URL', '', ['smtp:', 'smtps:']),
    mailFrom,
    mailRetryBaseMs: integer('MAIL_RETRY_BASE_MS', 5000, 10, 3_600_000),
    apns: readApns(read, flag, integer, pushRetryBaseMs),
    fcm: readFcm(read, url, pushRetryBaseMs),
    webPush: readWebPush(read, flag, mailFrom, pushRetryBaseMs),
    corsOrigins,
    trustProxy: readTrustProxy(read('TRUST_PROXY')),
    logLevel,
    presenceTtlSeconds: integer('PRESENCE_TTL_SECONDS', 60, 2, 3600),
    presenceGraceSeconds: integer('PRESENCE_GRACE_SECONDS', 5, 0, 300),
    pushStreamGraceSeconds: integer('PUSH_STREAM_GRACE_SECONDS', 3, 0, 60),
    pushDedupeSeconds: integer('PUSH_DEDUPE_SECONDS', 3600, 0, 86_400),
    sseHeartbeatSeconds: integer('SSE_HEARTBEAT_SECONDS', 25, 1, 300),
    qrTtlSeconds: integer('QR_TTL_SECONDS', 120, 1, 3600),
    qrCodesPerAddress: integer('QR_CODES_PER_ADDRESS', 20, 1, 100_000),
    maxConnections:
      read('MAX_CONNECTIONS') === undefined ? null : integer('MAX_CONNECTIONS', 0, 0, 10_000_000),
    keepAliveSeconds: integer('KEEP_ALIVE_SECONDS', 65, 1, 290),
    headersTimeoutSeconds: integer('HEADERS_TIMEOUT_SECONDS', 10, 1, 300),
    bodyTimeoutSeconds: integer('BODY_TIMEOUT_SECONDS', 30, 1, 3600),
    maxStreamsPerUser: integer('MAX_STREAMS_PER_USER', 20, 1, 10_000),
    registrationsPerHour: integer('REGISTRATIONS_PER_HOUR', 10, 1, 1_000_000),
    metricsToken,
    metricsPort,
    webauthn: readWebauthn(read, publicUrl),
    pwnedPasswordsUrl,
    avatarFetch: readAvatarFetch(read),
    oidcProviders: readOidc(read('OIDC_PROVIDERS')),
    webhooks: {
      allowPrivate: flag('WEBHOOK_ALLOW_PRIVATE'),
      retryBaseMs: integer('WEBHOOK_RETRY_BASE_MS', 5000, 10, 3_600_000),
    },
  };
}

/** WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS; by default PUBLIC_URL's host and origin. */
function readWebauthn(read: (name: string) => string | undefined, publicUrl: string): AppConfig['webauthn'] {
  const rpId = read('WEBAUTHN_RP_ID') ?? new URL(publicUrl).hostname;
  if (!/^[a-z0-9.-]+$/i.test(rpId) || rpId.startsWith('.') || rpId.endsWith('.')) {
    throw new ConfigError(`WEBAUTHN_RP_ID must be a host name, got "${rpId}"`);
  }
  const origins = (read('WEBAUTHN_ORIGINS') ?? new URL(publicUrl).origin).split(',').map((origin) => {
    const trimmed = origin.trim();
    if (!/^https?:\/\/[^/\s]+$/.test(trimmed)) {
      throw new ConfigError(`WEBAUTHN_ORIGINS must be a comma list of origins, got "${trimmed}"`);
    }
    const host = new URL(trimmed).hostname;
    if (host !== rpId && !host.endsWith(`.${rpId}`)) {
      throw new ConfigError(`WEBAUTHN_ORIGINS: ${trimmed} is not on WEBAUTHN_RP_ID ${rpId} or under it`);
    }
    return trimmed;
  });
  return { rpId: rpId.toLowerCase(), origins };
}

function readOidc(raw: string | undefined): OidcProviderConfig[] {
  try {
    return readOidcProviders(raw);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function readAudience(raw: string | undefined): string {
  const audience = raw ?? 'unichat';
  if (!/^[\x21-\x7e]{1,200}$/.test(audience)) {
    throw new ConfigError(
      `JWT_AUDIENCE must be 1 to 200 printable characters without spaces, got "${audience}"`,
    );
  }
  return audience;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `true`, `false`, a number of hops, or a comma list of addresses, subnets and Express's names. */
function readTrustProxy(raw: string | undefined): AppConfig['trustProxy'] {
  if (raw === undefined || ['false', 'no'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 100) throw new ConfigError(`TRUST_PROXY must be at most 100 hops, got "${raw}"`);
    return hops === 0 ? false : hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!PROXY_NAMES.includes(entry) && !isAddressOrSubnet(entry)) {
      throw new ConfigError(
        `TRUST_PROXY must be true, false, a number of hops, or a comma list of addresses and subnets (${PROXY_NAMES.join(', ')} too), got "${entry}"`,
      );
    }
  }
  return entries;
}

function isAddressOrSubnet(entry: string): boolean {
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  // A netmask (255.255.255.0) for an IPv4 address.
  return family === 4 && isIP(range) === 4;
}

function readAvatarFetch(read: (name: string) => string | undefined): AppConfig['avatarFetch'] {
  const allowHosts = (read('AVATAR_FETCH_ALLOW_HOSTS') ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '');
  for (const host of allowHosts) {
    if (!/^[\w.:-]+$/.test(host)) {
      throw new ConfigError(
        `AVATAR_FETCH_ALLOW_HOSTS must be host names or addresses separated by commas, got "${host}"`,
      );
    }
  }
  const given = read('AVATAR_FETCH_CA_FILE');
  const caFile = given === undefined ? null : resolve(given);
  if (caFile !== null) {
    checkPemFile('AVATAR_FETCH_CA_FILE', caFile, (pem) => !!new X509Certificate(pem), 'a PEM certificate');
  }
  return { allowHosts, caFile };
}

function readApns(
  read: (name: string) => string | undefined,
  flag: (name: string) => boolean,
  integer: (name: string, fallback: number, min: number, max: number) => number,
  pushRetryBaseMs: number,
): ApnsConfig | null {
  const names = ['APNS_KEY_FILE', 'APNS_KEY_ID', 'APNS_TEAM_ID', 'APNS_TOPIC'];
  const given = names.filter((name) => read(name) !== undefined);
  if (given.length === 0) return null;
  const missing = names.filter((name) => read(name) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing[0]} must be set when ${given[0]} is (push needs all of ${names.join(', ')})`,
    );
  }
  const port = integer('APNS_PORT', 0, 0, 65535);
  const host = read('APNS_HOST') ?? null;
  if (host !== null && !/^[\w.-]+$/.test(host)) {
    throw new ConfigError(
      `APNS_HOST must be a host name or IPv4 address (no scheme, no port), got "${host}"`,
    );
  }
  const keyFile = resolve(read('APNS_KEY_FILE') as string);
  const caFile = read('APNS_CA_FILE') === undefined ? null : resolve(read('APNS_CA_FILE') as string);
  checkPemFile(
    'APNS_KEY_FILE',
    keyFile,
    (pem) => createPrivateKey(pem).asymmetricKeyType === 'ec',
    'an EC private key (.p8)',
  );
  if (caFile !== null) {
    checkPemFile('APNS_CA_FILE', caFile, (pem) => !!new X509Certificate(pem), 'a PEM certificate');
  }
  return {
    keyFile,
    keyId: read('APNS_KEY_ID') as string,
    teamId: read('APNS_TEAM_ID') as string,
    topic: read('APNS_TOPIC') as string,
    production: flag('APNS_PRODUCTION'),
    host,
    port: port === 0 ? null : port,
    caFile,
    retryBaseMs: integer('APNS_RETRY_BASE_MS', pushRetryBaseMs, 10, 600_000),
  };
}

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const FCM_DEFAULT_ENDPOINT = 'https://fcm.googleapis.com';

/**
 * FCM_SERVICE_ACCOUNT_FILE: the service account JSON a Firebase project hands out. Read and
 * checked here, so a wrong file stops the start instead of failing every Android push.
 */
function readFcm(
  read: (name: string) => string | undefined,
  url: (name: string, fallback: string, protocols: string[]) => string,
  retryBaseMs: number,
): FcmConfig | null {
  const given = read('FCM_SERVICE_ACCOUNT_FILE');
  if (given === undefined) {
    if (read('FCM_ENDPOINT') !== undefined) {
      throw new ConfigError('FCM_SERVICE_ACCOUNT_FILE must be set when FCM_ENDPOINT is');
    }
    return null;
  }
  const file = resolve(given);
  const refuse = (why: string) =>
    new ConfigError(`FCM_SERVICE_ACCOUNT_FILE must be a service account key (JSON), got "${file}" (${why})`);
  let account: Record<string, unknown>;
  try {
    account = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw refuse((error as NodeJS.ErrnoException).code ?? 'not JSON');
  }
  const text = (field: string): string | null =>
    typeof account?.[field] === 'string' && account[field] !== '' ? account[field] : null;
  if (text('type') !== 'service_account') throw refuse('type is not "service_account"');
  for (const field of ['project_id', 'client_email', 'private_key']) {
    if (text(field) === null) throw refuse(`no ${field}`);
  }
  try {
    if (createPrivateKey(text('private_key') as string).asymmetricKeyType !== 'rsa') throw new Error();
  } catch {
    throw refuse('private_key is not an RSA private key');
  }
  const tokenUri = text('token_uri') ?? GOOGLE_TOKEN_URI;
  if (!URL.canParse(tokenUri) || !['https:', 'http:'].includes(new URL(tokenUri).protocol)) {
    throw refuse('token_uri is not an http(s) URL');
  }
  return {
    serviceAccountFile: file,
    projectId: text('project_id') as string,
    clientEmail: text('client_email') as string,
    privateKey: text('private_key') as string,
    privateKeyId: text('private_key_id'),
    tokenUri,
    endpoint: url('FCM_ENDPOINT', FCM_DEFAULT_ENDPOINT, ['https:', 'http:']).replace(/\/+$/, ''),
    retryBaseMs,
  };
}

/** A P-256 public key as browsers take it: 65 bytes (uncompressed point), base64url. */
const VAPID_PUBLIC_KEY = /^[A-Za-z0-9_-]{87}$/;
const VAPID_PRIVATE_KEY = /^[A-Za-z0-9_-]{43}$/;

function readWebPush(
  read: (name: string) => string | undefined,
  flag: (name: string) => boolean,
  mailFrom: string,
  retryBaseMs: number,
): WebPushConfig {
  const publicKey = read('VAPID_PUBLIC_KEY');
  const privateKey = read('VAPID_PRIVATE_KEY');
  if ((publicKey === undefined) !== (privateKey === undefined)) {
    const [missing, given] =
      publicKey === undefined
        ? ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY']
        : ['VAPID_PRIVATE_KEY', 'VAPID_PUBLIC_KEY'];
    throw new ConfigError(`${missing} must be set when ${given} is`);
  }
  if (publicKey !== undefined && !VAPID_PUBLIC_KEY.test(publicKey)) {
    throw new ConfigError('VAPID_PUBLIC_KEY must be a P-256 public key: 65 bytes, base64url (87 characters)');
  }
  if (privateKey !== undefined && !VAPID_PRIVATE_KEY.test(privateKey)) {
    throw new ConfigError(
      'VAPID_PRIVATE_KEY must be a P-256 private key: 32 bytes, base64url (43 characters)',
    );
  }
  if (publicKey !== undefined && privateKey !== undefined && vapidPublicKeyOf(privateKey) !== publicKey) {
    throw new ConfigError('VAPID_PUBLIC_KEY must be the public key of VAPID_PRIVATE_KEY');
  }
  const address = /<([^<>\s]+@[^<>\s]+)>/.exec(mailFrom)?.[1] ?? mailFrom.trim();
  const subject = read('VAPID_SUBJECT') ?? `mailto:${address}`;
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(subject)) {
    throw new ConfigError(`VAPID_SUBJECT must be a mailto: address or an https:// URL, got "${subject}"`);
  }
  const given = read('WEB_PUSH_CA_FILE');
  const caFile = given === undefined ? null : resolve(given);
  if (caFile !== null) {
    checkPemFile('WEB_PUSH_CA_FILE', caFile, (pem) => !!new X509Certificate(pem), 'a PEM certificate');
  }
  return {
    vapidKeys: publicKey !== undefined && privateKey !== undefined ? { publicKey, privateKey } : null,
    subject,
    allowPrivate: flag('PUSH_ALLOW_PRIVATE'),
    caFile,
    retryBaseMs,
  };
}

/** The public key (uncompressed point, base64url) of a P-256 private key given as base64url. */
export function vapidPublicKeyOf(privateKey: string): string | null {
  try {
    const curve = createECDH('prime256v1');
    curve.setPrivateKey(Buffer.from(privateKey, 'base64url'));
    return curve.getPublicKey('base64url');
  } catch {
    return null;
  }
}

/** A VAPID key pair Web Push can sign with: a P-256 private key of 32 bytes and its public key. */
export function isVapidKeyPair(publicKey: unknown, privateKey: unknown): boolean {
  return (
    typeof publicKey === 'string' &&
    typeof privateKey === 'string' &&
    VAPID_PUBLIC_KEY.test(publicKey) &&
    VAPID_PRIVATE_KEY.test(privateKey) &&
    vapidPublicKeyOf(privateKey) === publicKey
  );
}

/** A key or certificate file that cannot be used stops the start here, not at the first push. */
function checkPemFile(name: string, file: string, usable: (pem: string) => boolean, what: string): void {
  let ok: boolean;
  try {
    ok = usable(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${name} must be ${what}, got "${file}" (${reason})`);
  }
  if (!ok) throw new ConfigError(`${name} must be ${what}, got "${file}"`);
}

/** The PostgreSQL URL the configuration names (DATABASE_URL), or undefined for SQLite: tests choose their database as the service does. */
export function databaseUrl(): string | undefined {
  const { database } = loadConfig();
  return database.kind === 'postgres' ? database.url : undefined;
}
