import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { isPublicAddress } from '../common/public-address.js';

/** A browser's push subscription as kept: `PushSubscription.toJSON()`, fields in this order. */
export interface WebPushSubscription {
  endpoint: string;
  expirationTime: number | null;
  keys: { p256dh: string; auth: string };
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const MAX_ENDPOINT_LENGTH = 800;

/**
 * Reads the JSON of a browser's `PushSubscription.toJSON()` into the token kept for it (the same
 * JSON, fields in a fixed order, so one subscription is one token), or the reason it is refused.
 * The endpoint is where the service will connect, so it must be `https://` and not name a
 * private, loopback or link-local address (the avatar URLs' rule; `allowPrivate` is for tests).
 */
export function parseWebPushSubscription(
  raw: string,
  allowPrivate: boolean,
): { token: string; subscription: WebPushSubscription } | { refused: string } {
  const refused = (why: string) => ({ refused: `a web_push token must be ${why}` });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return refused('the JSON of PushSubscription.toJSON() (it is not JSON)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refused('the JSON of PushSubscription.toJSON() (an object)');
  }
  const { endpoint, expirationTime, keys } = value as Record<string, unknown>;
  if (typeof endpoint !== 'string') return refused('a subscription with an endpoint');
  const endpointProblem = checkEndpoint(endpoint, allowPrivate);
  if (endpointProblem !== null) return refused(`a subscription whose endpoint ${endpointProblem}`);
  if (
    expirationTime !== undefined &&
    expirationTime !== null &&
    !(typeof expirationTime === 'number' && Number.isSafeInteger(expirationTime) && expirationTime >= 0)
  ) {
    return refused('a subscription whose expirationTime is null or a time in milliseconds');
  }
  if (typeof keys !== 'object' || keys === null)
    return refused('a subscription with keys.p256dh and keys.auth');
  const { p256dh, auth } = keys as Record<string, unknown>;
  if (typeof p256dh !== 'string' || !isP256Point(p256dh)) {
    return refused(
      'a subscription whose keys.p256dh is a P-256 public key: 65 bytes, uncompressed, base64url',
    );
  }
  if (typeof auth !== 'string' || !BASE64URL.test(auth) || Buffer.from(auth, 'base64url').length !== 16) {
    return refused('a subscription whose keys.auth is 16 bytes, base64url');
  }
  const subscription: WebPushSubscription = {
    endpoint,
    expirationTime: (expirationTime as number | null | undefined) ?? null,
    keys: { p256dh: p256dh.replace(/=+$/, ''), auth: auth.replace(/=+$/, '') },
  };
  return { token: JSON.stringify(subscription), subscription };
}

/** The subscription kept as a token (it was checked when registered). */
export function readWebPushToken(token: string): WebPushSubscription {
  return JSON.parse(token) as WebPushSubscription;
}

/** The endpoint of a subscription's JSON, or null when it has none. */
export function webPushEndpointOf(json: string): string | null {
  try {
    const endpoint = (JSON.parse(json) as { endpoint?: unknown }).endpoint;
    return typeof endpoint === 'string' && URL.canParse(endpoint) ? endpoint : null;
  } catch {
    return null;
  }
}

/** Why the endpoint cannot be used, or null. Host names are checked again when connecting. */
export function checkEndpoint(endpoint: string, allowPrivate: boolean): string | null {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return `is at most ${MAX_ENDPOINT_LENGTH} characters`;
  if (!URL.canParse(endpoint)) return 'is a URL';
  const url = new URL(endpoint);
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'is https://';
  if (url.username || url.password) return 'holds no credentials';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) ? !isPublicAddress(host) : host === 'localhost' || host.endsWith('.localhost')) {
    return 'is not a private, loopback or reserved address';
  }
  return null;
}

/** 65 bytes, 0x04 then x and y, and a point on the curve (a browser's key always is). */
function isP256Point(value: string): boolean {
  if (!BASE64URL.test(value)) return false;
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 0x04) return false;
  try {
    createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: bytes.subarray(1, 33).toString('base64url'),
        y: bytes.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    return true;
  } catch {
    return false;
  }
}
