import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureOwnerOnlyDir, OWNER_ONLY_FILE, restrictIfPresent } from './data-dir.js';

/**
 * A file made once in DATA_DIR and read back by every later start (the JWT secret, the VAPID
 * keys): owner-only, and several processes starting at once on one DATA_DIR agree on one content,
 * because the file appears whole or not at all (a hard link of a finished file).
 */
export function keepFile(
  dataDir: string,
  name: string,
  make: () => string,
): { file: string; text: string; made: boolean } {
  ensureOwnerOnlyDir(dataDir);
  const file = join(dataDir, name);
  const made = makeUnlessPresent(file, make);
  restrictIfPresent(file);
  return { file, text: readFileSync(file, 'utf8'), made };
}

/** Writes `make()` to `file` if there is none yet; true when this call made it. */
export function makeUnlessPresent(file: string, make: () => string): boolean {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(draft, make(), { mode: OWNER_ONLY_FILE, flag: 'wx' });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}
