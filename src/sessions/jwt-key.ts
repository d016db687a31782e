import { createSecretKey, type KeyObject } from 'node:crypto';
import { type AppConfig } from '../config/app-config.js';

/** One key per configuration (one per application), for signing and for passport-jwt's checks. */
const keys = new WeakMap<AppConfig, KeyObject>();

/**
 * The HMAC key of access tokens. A KeyObject, not a string: jsonwebtoken first tries a string as a
 * public key, which costs about a millisecond a call.
 */
export function accessTokenKey(config: AppConfig): KeyObject {
  let key = keys.get(config);
  if (!key) {
    key = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
    keys.set(config, key);
  }
  return key;
}
