import { webPushEndpointOf } from './web-push-subscription.js';

/** The push services a device may register for (`notification_service`). */
export const NOTIFICATION_SERVICES = ['ios_app', 'android_app', 'web_push'] as const;
export type NotificationService = (typeof NOTIFICATION_SERVICES)[number];

export function isNotificationService(value: string): value is NotificationService {
  return (NOTIFICATION_SERVICES as readonly string[]).includes(value);
}

/** The longest token kept: a web push subscription's JSON is about 400 characters. */
export const MAX_TOKEN_LENGTH = 1000;

/**
 * An APNs device token is 32 bytes today, sent as 64 hex characters; Apple warns that tokens may
 * grow, so any even number of hex characters from 64 to 200 is accepted. Tokens are kept
 * lower-case so the same device written in either case is one device.
 */
const APNS_TOKEN = /^(?:[0-9a-f]{2}){32,100}$/;
/** The APNs rule as the API document states it (either case). */
export const APNS_TOKEN_PATTERN = '^(?:[0-9A-Fa-f]{2}){32,100}$';

/** An FCM registration token: an opaque string of letters, digits, `_`, `-`, `:` (about 160 today). */
const FCM_TOKEN = /^[\w:.-]{20,1000}$/;
/** The FCM rule as the API document states it. */
export const FCM_TOKEN_PATTERN = FCM_TOKEN.source;
/** A token to give up, as the document states it: an APNs or FCM token, or a browser's push endpoint. */
export const ANY_TOKEN_PATTERN = `^(?:(?:[0-9A-Fa-f]{2}){32,100}|[\\w:.-]{20,1000}|https://\\S+)$`;

export const APNS_TOKEN_RULE =
  'token must be an even number of hexadecimal digits, 64 to 200 (an APNs device token)';
export const FCM_TOKEN_RULE =
  'token must be 20 to 1000 letters, digits, "_", "-", ":" or "." (an FCM registration token)';

/** The APNs token in its stored form, or null when it is not one. */
export function parseApnsToken(raw: string): string | null {
  const token = raw.toLowerCase();
  return APNS_TOKEN.test(token) ? token : null;
}

export function parseFcmToken(raw: string): string | null {
  return FCM_TOKEN.test(raw) ? raw : null;
}

/**
 * Which stored device a token names in `DELETE /devices/:token` and at logout: an APNs or FCM
 * token as registered, a web push device by its endpoint (or its whole subscription). Null when
 * it can name none.
 */
export function deviceNamed(raw: string): { token: string } | { endpoint: string } | null {
  if (/^https?:\/\//i.test(raw)) return { endpoint: raw };
  if (raw.startsWith('{')) {
    const endpoint = webPushEndpointOf(raw);
    return endpoint === null ? null : { endpoint };
  }
  const apns = parseApnsToken(raw);
  if (apns !== null) return { token: apns };
  return parseFcmToken(raw) === null ? null : { token: raw };
}

export const DEVICE_NAME_RULE =
  'token must be an APNs or FCM device token, or a web push endpoint (percent-encoded)';

/**
 * Enough of a token to tell devices apart in a log line; a whole token is never logged. A web
 * push device shows its push service's host and the start of its endpoint's last part.
 */
export function tokenPrefix(token: string): string {
  const endpoint = token.startsWith('{') ? webPushEndpointOf(token) : null;
  if (endpoint !== null) {
    const url = new URL(endpoint);
    return `${url.host}/…${url.pathname.split('/').at(-1)?.slice(0, 8) ?? ''}…`;
  }
  return `${token.slice(0, 8)}…`;
}
