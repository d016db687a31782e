import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, ConfigError, type EnvConfig } from './app-config.js';
import { ensureOwnerOnlyDir, restrictIfPresent } from './data-dir.js';
import { makeUnlessPresent } from './kept-file.js';

/** Where the secret made for a service started without JWT_SECRET is kept, inside DATA_DIR. */
export const KEPT_JWT_SECRET_FILE = 'jwt-secret';

export interface StartConfig {
  config: AppConfig;
  /** Where the secret came from: JWT_SECRET, a file made now, or a file made by an earlier start. */
  jwtSecretFrom: 'environment' | 'made now' | 'kept';
  jwtSecretFile: string | null;
}

/**
 * The start-up step that completes the configuration: without JWT_SECRET, the secret is made once
 * and kept in `DATA_DIR/jwt-secret` (owner-only), and every later start reads it back, so access
 * tokens and SSE codes outlive a restart. Several processes starting at once on one DATA_DIR agree
 * on one secret: the file appears whole or not at all (a hard link of a finished file).
 */
export function keepJwtSecret(loaded: EnvConfig): StartConfig {
  if (loaded.jwtSecret !== null) {
    return {
      config: { ...loaded, jwtSecret: loaded.jwtSecret },
      jwtSecretFrom: 'environment',
      jwtSecretFile: null,
    };
  }
  ensureOwnerOnlyDir(loaded.dataDir);
  const file = join(loaded.dataDir, KEPT_JWT_SECRET_FILE);
  const made = makeUnlessPresent(file, () => `${randomBytes(48).toString('base64url')}\n`);
  restrictIfPresent(file);
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) {
    throw new ConfigError(
      `${file} must hold a JWT secret of at least 32 characters (delete it to make a new one: access tokens and SSE codes made with the old one stop working)`,
    );
  }
  return {
    config: { ...loaded, jwtSecret: secret },
    jwtSecretFrom: made ? 'made now' : 'kept',
    jwtSecretFile: file,
  };
}
