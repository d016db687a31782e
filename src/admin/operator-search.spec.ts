import { AppError } from '../common/errors.js';
import { makeCursor, readCursor, toSearch } from './operator-search.js';

const code = (work: () => unknown): string | null => {
  try {
    work();
    return null;
  } catch (error) {
    return error instanceof AppError ? error.code : 'thrown';
  }
};

describe('the search an operator asks for', () => {
  it('folds an email prefix and a nick prefix as the stored keys are', () => {
    expect(toSearch({ email: '  ANN@Example' })).toEqual({ by: 'email', prefix: 'ann@example' });
    expect(toSearch({ nick: ' Ａnnie ' })).toEqual({ by: 'nick', prefix: 'annie' });
    expect(toSearch({ id: 290 })).toEqual({ by: 'id', id: 290 });
    expect(toSearch({})).toEqual({ by: 'all' });
  });

  it('refuses two kinds at once and an empty prefix', () => {
    expect(code(() => toSearch({ email: 'a', nick: 'b' }))).toBe('invalid_params');
    expect(code(() => toSearch({ id: 1, email: 'a' }))).toBe('invalid_params');
    expect(code(() => toSearch({ nick: '   ' }))).toBe('invalid_params');
  });
});

describe('the cursor of a search', () => {
  it('gives back the last key of the page, for the same kind of search', () => {
    expect(readCursor(makeCursor('email', 'ann@example.com'), 'email')).toBe('ann@example.com');
    expect(readCursor(makeCursor('nick', 'a:b'), 'nick')).toBe('a:b');
    expect(readCursor(makeCursor('all', '41'), 'all')).toBe(41);
  });

  it('refuses a cursor of another kind, a broken one, and an id that is not one', () => {
    expect(code(() => readCursor(makeCursor('nick', 'annie'), 'email'))).toBe('invalid_params');
    expect(code(() => readCursor('not a cursor!', 'email'))).toBe('invalid_params');
    expect(code(() => readCursor(makeCursor('email', ''), 'email'))).toBe('invalid_params');
    expect(code(() => readCursor(makeCursor('all', '0x10'), 'all'))).toBe('invalid_params');
  });
});
