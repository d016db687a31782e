import { readFileSync } from 'node:fs';

/**
 * Open connections (streams included) a server accepts when MAX_CONNECTIONS is not set: the
 * open-file limit less a tenth (at least 64) for the database, Redis, mail files and logs. Beyond
 * it a new connection is closed at once, instead of the process running out of descriptors
 * (then logins, health checks and database connections fail alike). Null where the limit is
 * unknown (not Linux) or unlimited.
 */
export function defaultConnectionCap(procLimits = readProcLimits()): number | null {
  const line = procLimits.split('\n').find((text) => text.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined || !/^\d+$/.test(soft)) return null;
  const limit = Number(soft);
  return Math.max(1, limit - Math.max(64, Math.floor(limit / 10)));
}

function readProcLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}
