import { AppError } from './errors.js';
import { MAX_ID, parseId } from './ids.js';
import { PositiveIntPipe } from './positive-int.pipe.js';

describe('ids', () => {
  it.each(['1', '16', '290', String(MAX_ID)])('reads %s', (text) => {
    expect(parseId(text)).toBe(Number(text));
  });

  it.each(['', '0', '-1', '016', '+16', ' 16', '16 ', '0x10', '1e1', '16.0', '0b10', '2147483648', '１６'])(
    'refuses %j',
    (text) => {
      expect(parseId(text)).toBeNull();
    },
  );

  it('refuses a value that something already turned into a number', () => {
    expect(() => new PositiveIntPipe().transform(16)).toThrow(AppError);
    expect(new PositiveIntPipe().transform('16')).toBe(16);
  });
});
