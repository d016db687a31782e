import { RetrySchedule } from './webhook-schedule.js';

describe('the retry schedule of a webhook delivery', () => {
  const minute = 60_000;
  const hour = 60 * minute;

  it('tries again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then gives up', () => {
    const schedule = new RetrySchedule(5000, () => 0.5);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempts) => schedule.delayAfter(attempts));
    expect(delays).toEqual([5000, 5 * minute, 30 * minute, 2 * hour, 5 * hour, 10 * hour, 10 * hour, null]);
  });

  it('spreads each delay by at most a tenth either way', () => {
    expect(new RetrySchedule(5000, () => 0).delayAfter(2)).toBe(4.5 * minute);
    expect(new RetrySchedule(5000, () => 0.999999).delayAfter(2)).toBe(5.5 * minute);
  });

  it('scales with its first delay (tests shorten it)', () => {
    expect(new RetrySchedule(100, () => 0.5).delayAfter(1)).toBe(100);
    expect(new RetrySchedule(100, () => 0.5).delayAfter(2)).toBe(6000);
  });

  it('disables an endpoint after five days of failing tries, not before', () => {
    const schedule = new RetrySchedule(5000);
    const since = new Date(0);
    expect(schedule.failedTooLong(since, 5 * 24 * hour - 1)).toBe(false);
    expect(schedule.failedTooLong(since, 5 * 24 * hour)).toBe(true);
  });
});
