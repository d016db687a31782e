/** The largest id a row can have: ids are 32-bit `integer` columns on PostgreSQL and SQLite alike. */
export const MAX_ID = 2_147_483_647;

/**
 * The id written in `text`: a positive integer up to MAX_ID (a larger one would make PostgreSQL
 * refuse the query itself), else null.
 */
export function parseId(text: string): number | null {
  return /^[1-9]\d{0,9}$/.test(text) && Number(text) <= MAX_ID ? Number(text) : null;
}
