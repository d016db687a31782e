/** The largest id a row can have: ids are 32-bit `integer` columns on PostgreSQL and SQLite alike. */
export const MAX_ID = 2_147_483_647;

/**
 * The id written in `text`: a positive integer up to MAX_ID (a larger one would make PostgreSQL
 * refuse the query itself), else null.
 */
export function parseId(text: string): number | null {
  return /^[1-9]\d{0,9}$/.test(text) && Number(text) <= MAX_ID ? Number(text) : null;
}

/**
 * The ids of a comma-separated list, each as `parseId` reads it, in one pass over the text (a
 * split and a pattern per part cost ~10 µs for 50 ids, a tenth of a batch read); null if any
 * part is not an id, or a part is empty.
 */
export function parseIdList(text: string): number[] | null {
  const ids: number[] = [];
  let value = 0;
  let digits = 0;
  for (let index = 0; index <= text.length; index += 1) {
    const code = index < text.length ? text.charCodeAt(index) : COMMA;
    if (code === COMMA) {
      if (digits === 0 || value > MAX_ID) return null;
      ids.push(value);
      value = 0;
      digits = 0;
      continue;
    }
    const digit = code - ZERO;
    if (digit < 0 || digit > 9 || (digits === 0 && digit === 0) || digits === 10) return null;
    value = value * 10 + digit;
    digits += 1;
  }
  return ids;
}

const COMMA = 44;
const ZERO = 48;
