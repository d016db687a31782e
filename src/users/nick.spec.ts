import { AppError } from '../common/errors.js';
import { nickKey, parseNick } from './nick.js';

/** The refusal `parseNick` throws for `raw`, as code, status and text. */
function refusal(raw: string): { code: string; status: number; text: string } {
  try {
    parseNick(raw);
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, status: error.status, text: error.message };
    throw error;
  }
  throw new Error(`"${raw}" was accepted`);
}

describe('nick rules', () => {
  it('strips leading and trailing spaces and keeps single inner spaces', () => {
    expect(parseNick('   Ada Lovelace  ').nick).toBe('Ada Lovelace');
  });

  it('accepts a nick that starts with a letter of any script', () => {
    for (const nick of ['Żaneta', 'Ωmega Man', 'Дмитрий', '日本語の名前', 'ñandú1', 'élan vital']) {
      expect(parseNick(nick).nick).toBe(nick);
    }
  });

  it.each([
    ['a digit', '1abcdef'],
    ['an underscore', '_abcdef'],
    ['a punctuation mark', '.abcdef'],
    ['an emoji', '😀abcdef'],
  ])('refuses a nick that starts with %s', (_case, nick) => {
    expect(refusal(nick)).toEqual({
      code: 'invalid_nick',
      status: 400,
      text: 'nick must start with a letter',
    });
  });

  it('counts at least 5 characters after stripping', () => {
    expect(refusal('  Abcd  ')).toMatchObject({
      code: 'invalid_nick',
      text: 'nick must be at least 5 characters',
    });
    expect(parseNick('  Abcde  ').nick).toBe('Abcde');
  });

  it('counts characters, not UTF-16 units: five letters outside the BMP are five', () => {
    expect(parseNick('𝒜𝒷𝒸𝒹𝑒').nick).toBe('𝒜𝒷𝒸𝒹𝑒');
    expect(refusal('𝒜𝒷𝒸𝒹').text).toBe('nick must be at least 5 characters');
  });

  it('allows at most 64 characters', () => {
    expect(parseNick(`A${'b'.repeat(63)}`).nick).toHaveLength(64);
    expect(refusal(`A${'b'.repeat(64)}`)).toMatchObject({
      code: 'invalid_nick',
      text: 'nick must be at most 64 characters',
    });
  });

  it('refuses two spaces (or other white space) in a row', () => {
    for (const nick of ['Abc  def', 'Abc \tdef', 'Abc\u00a0 def']) {
      expect(refusal(nick)).toMatchObject({
        code: 'invalid_nick',
        text: 'nick must not have two spaces in a row',
      });
    }
  });

  it('refuses control and invisible formatting characters', () => {
    for (const nick of ['Abc\u0007def', 'Abc\u200bdef', 'Abc\u202edef']) {
      expect(refusal(nick).code).toBe('invalid_nick');
    }
  });

  it('folds case (and compatibility forms) into one key, so uniqueness ignores case', () => {
    expect(parseNick('Ada Lovelace').key).toBe(parseNick('ADA lovelace').key);
    expect(parseNick('Ｎｉｃｋｙ').key).toBe(parseNick('nicky').key);
    expect(parseNick('Straße').key).toBe(parseNick('STRASSE').key);
    expect(parseNick('ΟΔΥΣΣΕΥΣ').key).toBe(parseNick('Οδυσσευς').key);
    expect(parseNick('Ada Lovelace').key).not.toBe(parseNick('Ada Lovelaces').key);
  });

  it('folds a search prefix the same way as the nicks it should find', () => {
    expect(parseNick('Straßenbahn').key.startsWith(nickKey('STRASS'))).toBe(true);
    expect(parseNick('Żaneta').key.startsWith(nickKey('żA'))).toBe(true);
  });
});
