import { LogThrottle } from './log-throttle.js';

describe('log throttle', () => {
  it('lets one line a minute through per key and counts the ones held back', () => {
    let now = 1_000_000;
    const throttle = new LogThrottle({ nowMs: () => now });
    expect(throttle.take('bad_key')).toBe(0);
    now += 1_000;
    expect(throttle.take('bad_key')).toBeNull();
    now += 58_000;
    expect(throttle.take('bad_key')).toBeNull();
    expect(throttle.take('other')).toBe(0);
    now += 1_000; // a minute after the first line
    expect(throttle.take('bad_key')).toBe(2);
    expect(throttle.take('bad_key')).toBeNull();
    now += 60_000;
    expect(throttle.take('bad_key')).toBe(1);
  });
});
