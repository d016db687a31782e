import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * Everything under DATA_DIR (the SQLite database, mails with working links, the kept JWT secret)
 * is readable by the service's own user only: files 0600, folders 0700, whatever the umask.
 */
export const OWNER_ONLY_FILE = 0o600;
export const OWNER_ONLY_DIR = 0o700;

/** Creates the folder (and its parents) owner-only, or takes group and other rights from it. */
export function ensureOwnerOnlyDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: OWNER_ONLY_DIR });
  restrict(path, OWNER_ONLY_DIR);
}

/** Creates the file empty and owner-only if it is missing, or takes group and other rights from it. */
export function ensureOwnerOnlyFile(path: string): void {
  closeSync(openSync(path, 'a', OWNER_ONLY_FILE));
  restrict(path, OWNER_ONLY_FILE);
}

/** Takes group and other rights from the file if it exists (SQLite's -wal and -shm files). */
export function restrictIfPresent(path: string): void {
  try {
    restrict(path, OWNER_ONLY_FILE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function restrict(path: string, mode: number): void {
  // Files made by an earlier version, or under a wider umask, are narrowed at start-up.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, mode);
}
