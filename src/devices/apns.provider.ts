import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import apn, { type ProviderOptions } from '@parse/node-apn';
import type { AppConfig, ApnsConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { describeFailure, judgeFailure } from './apns-answers.js';
import type { PushAnswer, PushProvider } from './push-provider.js';
import type { PushMessage } from './push-messages.js';

const SANDBOX = 'api.sandbox.push.apple.com';
const PRODUCTION = 'api.push.apple.com';

/** How long APNs keeps a push for a phone that is off before dropping it. */
const PUSH_TTL_SECONDS = 24 * 3600;

/** The options of the one long-lived HTTP/2 connection to APNs (token auth). */
export function apnsProviderOptions(config: ApnsConfig): ProviderOptions {
  return {
    token: { key: config.keyFile, keyId: config.keyId, teamId: config.teamId },
    production: config.production,
    ...(config.host !== null ? { address: config.host } : {}),
    ...(config.port !== null ? { port: config.port } : {}),
    // Replaces the default CAs for this connection only; a test server's certificate.
    ...(config.caFile !== null ? { ca: [config.caFile] } : {}),
    // PushService retries with back-off; the library would retry at once (it reads Retry-After
    // under a header name HTTP/2 never uses), three times per push, before we even see the answer.
    connectionRetryLimit: 0,
  };
}

/** "api.sandbox.push.apple.com:443", for the start-up log line. */
export function apnsEndpoint(config: ApnsConfig): string {
  return `${config.host ?? (config.production ? PRODUCTION : SANDBOX)}:${config.port ?? 443}`;
}

export function apnsNotification(
  message: PushMessage,
  topic: string,
  nowMs: number,
  collapseId: string,
): apn.Notification {
  const notification = new apn.Notification();
  notification.topic = topic;
  notification.pushType = 'alert';
  notification.priority = 10;
  notification.expiry = Math.floor(nowMs / 1000) + PUSH_TTL_SECONDS;
  notification.alert = { title: message.title, body: message.body };
  notification.sound = 'default';
  notification.collapseId = collapseId;
  notification.payload = { unichat: { event: message.event, user_id: message.userId } };
  return notification;
}

/**
 * iOS devices (`ios_app`): one long-lived HTTP/2 connection to APNs per instance, token auth with
 * the team's key. Off, with one log line, without APNS_*.
 */
@Injectable()
export class ApnsProvider implements PushProvider, OnModuleInit, OnApplicationShutdown {
  readonly service = 'ios_app';
  readonly name = 'APNs';
  readonly keyAdvice = 'check APNS_KEY_FILE, APNS_KEY_ID and APNS_TEAM_ID';
  private readonly logger = new Logger('Push');
  private readonly config: ApnsConfig | null;
  private provider: apn.Provider | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.config = config.apns;
  }

  get enabled(): boolean {
    return this.provider !== null;
  }

  get retryBaseMs(): number {
    return this.config?.retryBaseMs ?? 1000;
  }

  onModuleInit(): void {
    if (!this.config) {
      this.logger.log(
        'iOS push is off: set APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC to send to iOS devices',
      );
      return;
    }
    this.provider = new apn.Provider(apnsProviderOptions(this.config));
    this.logger.log(
      `push through APNs at ${apnsEndpoint(this.config)}, topic ${this.config.topic}, key id ${this.config.keyId}`,
    );
  }

  async send(message: PushMessage, tokens: string[], now: Date): Promise<PushAnswer[]> {
    const config = this.config as ApnsConfig;
    const provider = this.provider as apn.Provider;
    const { sent, failed } = await provider.send(
      apnsNotification(message, config.topic, now.getTime(), message.collapseId as string),
      tokens,
    );
    return [
      ...sent.map(({ device }) => ({ token: device, verdict: 'accepted' as const, detail: '200' })),
      ...failed.map((failure) => ({
        token: failure.device,
        verdict: judgeFailure(failure),
        detail: describeFailure(failure),
      })),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    const provider = this.provider;
    this.provider = null;
    if (provider) await new Promise<void>((done) => void provider.shutdown(() => done()));
  }
}
