/**
 * When a write failed on a unique index, the name of the index's column (as found in the
 * database's message), else null. Works for PostgreSQL (23505) and SQLite.
 */
export function uniqueViolation(error: unknown): string | null {
  type DriverError = { code?: string; detail?: string; constraint?: string; message?: string };
  const err = error as DriverError & { driverError?: DriverError };
  const driver: DriverError = err?.driverError ?? err;
  if (driver?.code === '23505') {
    const detail = `${driver.detail ?? ''} ${driver.constraint ?? ''}`;
    return /Key \(([^)]+)\)/.exec(detail)?.[1] ?? driver.constraint ?? 'unknown';
  }
  const message = err?.message ?? '';
  const sqlite = /UNIQUE constraint failed: ([\w.]+)/.exec(message);
  if (sqlite) return sqlite[1].split('.').pop() ?? 'unknown';
  return null;
}
