import { AppError } from '../common/errors.js';
import { emailKey, parseEmail } from './email.js';

describe('email addresses', () => {
  it.each([
    ['Ann@Example.com', 'Ann@Example.com', 'ann@example.com'],
    ['  ann@example.com ', 'ann@example.com', 'ann@example.com'],
    ['Jos\u00E9@example.com', 'Jos\u00E9@example.com', 'jos\u00E9@example.com'],
    ['Jose\u0301@example.com', 'Jos\u00E9@example.com', 'jos\u00E9@example.com'],
    ['\u0130pek@example.com', '\u0130pek@example.com', 'i\u0307pek@example.com'],
    [
      '\u039F\u0394\u039F\u03A3@example.com',
      '\u039F\u0394\u039F\u03A3@example.com',
      '\u03BF\u03B4\u03BF\u03C2@example.com',
    ],
    ['\u01F0@example.com', '\u01F0@example.com', '\u01F0@example.com'],
    ['\u7530\u4E2D@example.jp', '\u7530\u4E2D@example.jp', '\u7530\u4E2D@example.jp'],
  ])('takes %j, kept as %j, compared as %j', (raw, email, key) => {
    expect(parseEmail(raw)).toEqual({ email, key });
    expect(emailKey(raw)).toBe(key);
  });

  it.each([
    ['mi\u212Ae@example.com', 'mike@example.com'],
    ['\uFF4D\uFF49\uFF4B\uFF45@example.com', 'mike@example.com'],
    ['stra\u00DFe@example.com', 'strasse@example.com'],
    ['STRA\u1E9EE@example.com', 'strasse@example.com'],
    ['m\u0131ke@example.com', 'mike@example.com'],
    ['mi\u017Fe@example.com', 'mise@example.com'],
    ['\uFB01sh@example.com', 'fish@example.com'],
    ['\u2460@example.com', '1@example.com'],
    ['\u212Bngstr\u00F6m@example.com', '\u00E5ngstr\u00F6m@example.com'],
  ])('refuses %j, which folding reads as %j', (raw, folded) => {
    expect(() => parseEmail(raw)).toThrow(
      new AppError(
        'invalid_email',
        `email address has characters that stand for others: it reads as ${folded}`,
      ),
    );
    // Still found as that address when typed at login or for a reset.
    expect(emailKey(raw)).toBe(folded);
  });

  it.each(['', 'ann', 'ann@', `${'a'.repeat(250)}@example.com`])('refuses the malformed %j', (raw) => {
    expect(() => parseEmail(raw)).toThrow(new AppError('invalid_email', 'email address is malformed'));
  });
});
