import { AppError } from './errors.js';
import { MAX_ID, parseId, parseIdList } from './ids.js';
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

  const READ = ['1', '16', '290', String(MAX_ID)];
  const REFUSED = [
    '',
    '0',
    '-1',
    '016',
    '+16',
    ' 16',
    '16 ',
    '0x10',
    '1e1',
    '16.0',
    '0b10',
    '2147483648',
    '１６',
    '99999999999',
  ];

  it('reads a list as parseId reads each part', () => {
    expect(parseIdList(READ.join(','))).toEqual(READ.map(Number));
    expect(parseIdList('7,7,12')).toEqual([7, 7, 12]);
    for (const bad of REFUSED) {
      for (const list of [bad, `1,${bad}`, `${bad},1`, `1,${bad},2`]) {
        expect([list, parseIdList(list)]).toEqual([
          list,
          list.split(',').every((part) => parseId(part) !== null) ? list.split(',').map(Number) : null,
        ]);
      }
    }
    for (const list of [',', '1,', ',1', '1,,2']) expect([list, parseIdList(list)]).toEqual([list, null]);
  });

  it('refuses a value that something already turned into a number', () => {
    expect(() => new PositiveIntPipe().transform(16)).toThrow(AppError);
    expect(new PositiveIntPipe().transform('16')).toBe(16);
  });
});
