import { createHash } from 'node:crypto';
import { lookup, type LookupAddress } from 'node:dns';
import { type LookupFunction } from 'node:net';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import webpush from 'web-push';
import { isPublicAddress } from '../common/public-address.js';
import { type AppConfig, ConfigError, isVapidKeyPair, type WebPushConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { keepFile } from '../config/kept-file.js';
import { PushHttp } from './push-http.js';
import type { PushAnswer, PushProvider, PushVerdict } from './push-provider.js';
import type { PushMessage } from './push-messages.js';
import { checkEndpoint, readWebPushToken, type WebPushSubscription } from './web-push-subscription.js';

/** Where the VAPID keys made for a service started without VAPID_* are kept, inside DATA_DIR. */
export const KEPT_VAPID_KEYS_FILE = 'vapid-keys.json';
const SEND_TIMEOUT_MS = 10_000;
/** How long a push service keeps a push for a browser that is offline. */
const PUSH_TTL_SECONDS = 24 * 3600;
/** A VAPID JWT is valid this long (at most a day), and signed again when less than an hour is left. */
const VAPID_JWT_SECONDS = 12 * 3600;
const VAPID_JWT_RENEW_SECONDS = 3600;
/** Push services (origins) whose signed VAPID header is kept; there are a handful in the world. */
const VAPID_HEADERS_KEPT = 100;

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** What the service worker receives (`event.data.json()`): the alert, its tag and `unichat`. */
export function webPushPayload(message: PushMessage): string {
  return JSON.stringify({
    title: message.title,
    body: message.body,
    tag: message.collapseId,
    unichat: { event: message.event, user_id: message.userId },
  });
}

/**
 * Web Push's `Topic` header replaces a push not yet delivered that has the same topic; it is at
 * most 32 base64url characters, so it is a hash of the collapse id.
 */
export function webPushTopic(collapseId: string): string {
  return createHash('sha256').update(collapseId).digest('base64url').slice(0, 32);
}

/** 2xx taken; 404 / 410 gone; 429 / 5xx later; 401 / 403 our VAPID key refused; anything else final. */
export function judgeWebPushAnswer(status: number): PushVerdict {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 404 || status === 410) return 'dead_token';
  if (status === 429 || status >= 500) return 'retry';
  if (status === 401 || status === 403) return 'bad_key';
  return 'refused';
}

/**
 * Browsers (`web_push`): Web Push with VAPID (RFC 8030, 8291, 8292) through the `web-push`
 * package, which signs and encrypts each push (aes128gcm); the request itself goes through an
 * agent of ours that connects to public addresses only (unless PUSH_ALLOW_PRIVATE) and keeps its
 * connections to push services open. Always on: without VAPID_* the keys are made once and kept
 * in DATA_DIR.
 */
@Injectable()
export class WebPushProvider implements PushProvider, OnModuleInit, OnApplicationShutdown {
  readonly service = 'web_push';
  readonly name = 'Web Push';
  readonly enabled = true;
  readonly keyAdvice =
    'check the VAPID keys: every instance needs the same VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY (or DATA_DIR)';
  private readonly logger = new Logger('Push');
  private readonly config: WebPushConfig;
  private readonly dataDir: string;
  private keys: VapidKeys | null = null;
  private readonly http: PushHttp;
  /** The signed `Authorization: vapid t=…, k=…` per push service origin, until near its expiry. */
  private readonly vapidHeaders = new Map<string, { authorization: string; expires: number }>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.config = config.webPush;
    this.dataDir = config.dataDir;
    const ca =
      this.config.caFile === null
        ? undefined
        : [...rootCertificates, readFileSync(this.config.caFile, 'utf8')];
    this.http = new PushHttp({
      lookup: checkedLookup(this.config.allowPrivate),
      ca,
      timeoutMs: SEND_TIMEOUT_MS,
    });
  }

  get retryBaseMs(): number {
    return this.config.retryBaseMs;
  }

  /** The VAPID public key browsers subscribe with (`applicationServerKey`), base64url. */
  get publicKey(): string {
    return (this.keys as VapidKeys).publicKey;
  }

  onModuleInit(): void {
    const given = this.config.vapidKeys;
    let from: string;
    if (given !== null) {
      this.keys = given;
      from = 'VAPID_PUBLIC_KEY';
    } else {
      const kept = keepFile(
        this.dataDir,
        KEPT_VAPID_KEYS_FILE,
        () => `${JSON.stringify(webpush.generateVAPIDKeys())}\n`,
      );
      this.keys = readKeptKeys(kept.file, kept.text);
      from = `${kept.made ? 'made now and kept' : 'kept'} in ${kept.file}`;
    }
    this.logger.log(
      `push to browsers with Web Push, VAPID key ${this.keys.publicKey.slice(0, 12)}… (${from})`,
    );
  }

  async send(message: PushMessage, tokens: string[], now: Date): Promise<PushAnswer[]> {
    const payload = webPushPayload(message);
    const topic = webPushTopic(message.collapseId as string);
    return Promise.all(tokens.map((token) => this.sendOne(token, payload, topic, now)));
  }

  private async sendOne(token: string, payload: string, topic: string, now: Date): Promise<PushAnswer> {
    let subscription: WebPushSubscription;
    try {
      subscription = readWebPushToken(token);
    } catch {
      return { token, verdict: 'refused', detail: 'the kept subscription is not JSON' };
    }
    const problem = checkEndpoint(subscription.endpoint, this.config.allowPrivate);
    if (problem !== null)
      return { token, verdict: 'refused', detail: `the endpoint must be one that ${problem}` };
    let details: webpush.RequestDetails;
    try {
      details = webpush.generateRequestDetails(subscription, payload, {
        headers: { Authorization: this.vapidAuthorization(subscription.endpoint, now) },
        TTL: PUSH_TTL_SECONDS,
        topic,
        urgency: 'high',
        contentEncoding: 'aes128gcm',
      });
    } catch (error) {
      return { token, verdict: 'refused', detail: (error as Error).message };
    }
    try {
      const url = new URL(details.endpoint);
      const { status } = await this.http.post(url, details.headers, details.body ?? '');
      return { token, verdict: judgeWebPushAnswer(status), detail: String(status) };
    } catch (error) {
      const refusal = (error as { refusal?: string }).refusal;
      if (refusal) return { token, verdict: 'refused', detail: refusal };
      return {
        token,
        verdict: 'retry',
        detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      };
    }
  }

  /**
   * The VAPID header for the endpoint's push service. Signing one costs about as much as
   * encrypting a push, and a push service takes the same JWT until it expires (RFC 8292), so it
   * is signed once per push service and renewed an hour before it expires.
   */
  private vapidAuthorization(endpoint: string, now: Date): string {
    const audience = new URL(endpoint).origin;
    const seconds = Math.floor(now.getTime() / 1000);
    const kept = this.vapidHeaders.get(audience);
    if (kept && kept.expires - seconds > VAPID_JWT_RENEW_SECONDS) return kept.authorization;
    const keys = this.keys as VapidKeys;
    const expires = seconds + VAPID_JWT_SECONDS;
    const { Authorization } = webpush.getVapidHeaders(
      audience,
      this.config.subject,
      keys.publicKey,
      keys.privateKey,
      'aes128gcm',
      expires,
    );
    if (this.vapidHeaders.size >= VAPID_HEADERS_KEPT) this.vapidHeaders.clear();
    this.vapidHeaders.set(audience, { authorization: Authorization, expires });
    return Authorization;
  }

  onApplicationShutdown(): void {
    this.http.close();
  }
}

/**
 * The key pair kept in `file`. A file that holds none (cut short, edited by hand, a key of the
 * wrong length) stops the start: keys made anew without a word would leave every browser
 * subscribed with the old ones without pushes, and a bad key would fail only at the first push.
 */
function readKeptKeys(file: string, text: string): VapidKeys {
  try {
    const keys = JSON.parse(text) as Partial<VapidKeys>;
    if (isVapidKeyPair(keys.publicKey, keys.privateKey)) {
      return { publicKey: keys.publicKey as string, privateKey: keys.privateKey as string };
    }
  } catch {
    // Refused below.
  }
  throw new ConfigError(
    `${file} must hold the VAPID key pair this service made (JSON {publicKey, privateKey}, a P-256 pair of 65 and 32 bytes): delete it to make a new pair (browsers subscribed with the old one get no pushes until they subscribe again), or set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY`,
  );
}

/** Looks a push service's host up and refuses private addresses, checked on what is connected to. */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, done) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return done(error, '', 0);
      if (!allowPrivate && addresses.some(({ address }) => !isPublicAddress(address))) {
        const refusal = Object.assign(new Error('the endpoint leads to a private or reserved address'), {
          refusal: 'the endpoint leads to a private or reserved address',
        });
        return done(refusal, '', 0);
      }
      if (options.all) return done(null, addresses);
      return done(null, addresses[0].address, addresses[0].family);
    });
  };
}
