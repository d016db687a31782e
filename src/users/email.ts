import { isEmail } from 'class-validator';
import { AppError } from '../common/errors.js';

/** The longest address a mail system passes on (RFC 5321 path limit), and the width of both columns. */
export const EMAIL_MAX_LENGTH = 254;

export interface EmailAddress {
  /** As the user wrote it, without surrounding spaces, in composed form (NFC). */
  email: string;
  /** Its folded form: what addresses are compared and kept unique on. */
  key: string;
}

/**
 * The form in which two addresses are the same address: NFKC case folding. NFKC turns
 * compatibility forms into the letters they stand for (the Kelvin sign into K, full-width letters
 * into plain ones, ligatures into their letters); lower, upper, then lower case again folds what
 * lower case alone keeps apart (ß, ẞ and ss; ſ and s; ı and i) as Unicode's full case folding does.
 */
export function emailKey(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * An address a user may give the account (registration, email change), else `invalid_email`.
 * Besides being well formed and fitting its columns, folding must not turn it into another
 * address: every character is one that NFKC leaves as it is, and folding it gives its plain
 * lower case. So `mi\u212Ae@…` (a Kelvin sign) cannot be registered to receive `mike@…`'s mail,
 * while `José@…`, composed or not, and `ANN@…` are taken.
 */
export function parseEmail(raw: string): EmailAddress {
  const written = raw.trim();
  const email = written.normalize('NFC');
  if (!isEmail(email) || email.length > EMAIL_MAX_LENGTH) {
    throw new AppError('invalid_email', 'email address is malformed');
  }
  const key = emailKey(email);
  // Lower case and NFKC can lengthen a text (İ becomes i and a combining dot).
  if (key.length > EMAIL_MAX_LENGTH) throw new AppError('invalid_email', 'email address is malformed');
  const standsForOthers = [...written].some((character) => character.normalize('NFKC') !== character);
  if (standsForOthers || key !== email.toLowerCase()) {
    throw new AppError(
      'invalid_email',
      `email address has characters that stand for others: it reads as ${key}`,
    );
  }
  return { email, key };
}

/** The one answer to an address another account holds (or is confirming). */
export function emailTakenError(): AppError {
  return new AppError('invalid_email', 'email address is already taken', { status: 409 });
}
