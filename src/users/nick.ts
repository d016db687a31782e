import { AppError } from '../common/errors.js';

export const NICK_MIN_LENGTH = 5;
export const NICK_MAX_LENGTH = 64;
const NICK_KEY_MAX_LENGTH = 256;

/** The nick rules as the API document states them (a nick outside them is `invalid_nick`). */
export const NICK_DOCUMENTED = {
  type: String,
  minLength: NICK_MIN_LENGTH,
  maxLength: NICK_MAX_LENGTH,
  example: 'Annie Hall',
  pattern: '^\\p{L}(?!.*\\s\\s)(?!.*\\s$)[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]*$',
  description:
    'Starts with a letter, 5 to 64 characters, no two spaces in a row, no control characters; unique without regard to case.',
};

export interface Nick {
  /** As the user wrote it, without leading and trailing spaces. */
  nick: string;
  /** Case-folded form: what uniqueness is checked on. */
  key: string;
}

/**
 * The nick rules: starts with a letter (of any script), leading and trailing spaces
 * stripped, at least 5 and at most 64 characters, no two spaces in a row.
 */
export function parseNick(raw: string): Nick {
  const nick = raw.normalize('NFC').trim();
  const length = [...nick].length;
  if (length < NICK_MIN_LENGTH) {
    throw new AppError('invalid_nick', `nick must be at least ${NICK_MIN_LENGTH} characters`);
  }
  if (length > NICK_MAX_LENGTH) {
    throw new AppError('invalid_nick', `nick must be at most ${NICK_MAX_LENGTH} characters`);
  }
  if (!/^\p{L}/u.test(nick)) throw new AppError('invalid_nick', 'nick must start with a letter');
  if (/\s\s/u.test(nick)) throw new AppError('invalid_nick', 'nick must not have two spaces in a row');
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(nick)) {
    throw new AppError('invalid_nick', 'nick must not contain control characters');
  }
  const key = nickKey(nick);
  // Folding can lengthen a nick (NFKC turns U+FDFA into 18 characters); the key's column holds 256.
  if (key.length > NICK_KEY_MAX_LENGTH) throw new AppError('invalid_nick', 'nick is too long');
  return { nick, key };
}

/**
 * Case-insensitive form of a nick or a nick prefix. Upper then lower case folds what lower case
 * alone keeps apart (ß and SS, final and medial sigma); NFKC folds full-width and other
 * compatibility forms.
 */
export function nickKey(nick: string): string {
  return nick.normalize('NFKC').toUpperCase().toLowerCase();
}
