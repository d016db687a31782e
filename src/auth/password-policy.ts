import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/** The password rules as the API document states them (a password outside them is `weak_password`). */
export const PASSWORD_DOCUMENTED = {
  type: String,
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  example: 'Correct-horse-42',
  // Not all of one kind: any two characters of different kinds make two kinds.
  pattern: '^(?!(?:\\p{Ll}+|\\p{Lu}+|\\p{Nd}+|[^\\p{Ll}\\p{Lu}\\p{Nd}]+)$)',
  description:
    'At least 10 characters, at most 200, of at least two kinds (lower case, upper case, digits, others); not the email address, nor a common or breached password.',
};

/** zxcvbn-ts's list of the passwords people use most (lower case), read once. */
const COMMON_PASSWORDS = new Set(dictionary['passwords-common']);

const CLASSES = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];

/**
 * Why a password is refused, or null when it is acceptable: at least 10 characters, at most 200
 * (hashing cost), more than one class of character (lower, upper, digit, other), not the
 * email address or its local part, and not one of the passwords people use most (whatever the case).
 */
export function passwordProblem(password: string, email: string | null): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const classes = CLASSES.filter((pattern) => pattern.test(password)).length;
  if (classes < 2) {
    return 'password must mix at least two kinds of characters (lower case, upper case, digits, others)';
  }
  if (COMMON_PASSWORDS.has(password.trim().toLowerCase())) {
    return 'password is too common: it is among the passwords people use most';
  }
  if (email) {
    const lowered = password.trim().toLowerCase();
    const address = email.trim().toLowerCase();
    if (lowered === address || lowered === address.split('@')[0])
      return 'password must not be your email address';
  }
  return null;
}
