/** The notification services a device may register for; iOS only for now. */
export const NOTIFICATION_SERVICES = ['ios_app'] as const;
export type NotificationService = (typeof NOTIFICATION_SERVICES)[number];

export function isNotificationService(value: string): value is NotificationService {
  return (NOTIFICATION_SERVICES as readonly string[]).includes(value);
}

/**
 * An APNs device token is 32 bytes today, sent as 64 hex characters; Apple warns that tokens may
 * grow, so any even number of hex characters from 64 to 200 (the column's width) is accepted.
 * Tokens are kept lower-case so the same device written in either case is one device.
 */
const APNS_TOKEN = /^(?:[0-9a-f]{2}){32,100}$/;
/** The rule as the API document states it (either case). */
export const DEVICE_TOKEN_PATTERN = '^(?:[0-9A-Fa-f]{2}){32,100}$';

export const DEVICE_TOKEN_RULE =
  'token must be an even number of hexadecimal digits, 64 to 200 (an APNs device token)';

/** The token in its stored form, or null when it is not an APNs device token. */
export function parseDeviceToken(raw: string): string | null {
  const token = raw.toLowerCase();
  return APNS_TOKEN.test(token) ? token : null;
}

/** Enough of a token to tell devices apart in a log line; a whole token is never logged. */
export function tokenPrefix(token: string): string {
  return `${token.slice(0, 8)}…`;
}
