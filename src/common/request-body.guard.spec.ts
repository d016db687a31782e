import { checkJsonBytes, problemOf } from './request-body.guard.js';

describe('request body checks', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('finds a field named %s at any depth', (key) => {
    const deep = JSON.parse(`{"a":[{"b":{"${key}":{"x":1}}}]}`) as unknown;
    expect(problemOf(deep, 'the request body')).toBe(`the request body has a field named ${key}`);
    expect(problemOf(JSON.parse(`{"${key}":null}`), 'the query')).toBe(`the query has a field named ${key}`);
  });

  it('lets such words through as values and inside longer names', () => {
    expect(
      problemOf({ status_message: '__proto__', constructor_id: 1, list: ['prototype'] }, 'b'),
    ).toBeNull();
  });

  it('takes UTF-8 bytes only', () => {
    const check =
      (bytes: Buffer, encoding = 'utf-8') =>
      () =>
        checkJsonBytes({} as never, {}, bytes, encoding);
    expect(check(Buffer.from('{"a":"Grüße ☕ 😀"}'))).not.toThrow();
    expect(check(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow('the request body is not valid UTF-8');
    // An encoded surrogate (CESU-8) and an overlong "/" are not UTF-8 either.
    expect(check(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow('not valid UTF-8');
    expect(check(Buffer.from([0x22, 0xc0, 0xaf, 0x22]))).toThrow('not valid UTF-8');
    expect(check(Buffer.from('{}', 'utf16le'), 'utf-16le')).toThrow('the request body must be UTF-8');
  });
});
