import apn, { type ProviderOptions } from '@parse/node-apn';
import type { ApnsConfig } from '../config/app-config.js';
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
