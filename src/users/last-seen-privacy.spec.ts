import { lastSeenHint, seesExactLastSeen } from './last-seen-privacy.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW - days * 24 * 3600 * 1000);

describe('last-seen privacy', () => {
  it('shows the exact last seen when both sides show theirs to each other', () => {
    expect(seesExactLastSeen('everyone', 'everyone', false)).toBe(true);
    expect(seesExactLastSeen('contacts', 'everyone', true)).toBe(true);
    expect(seesExactLastSeen('everyone', 'contacts', true)).toBe(true);
    expect(seesExactLastSeen('contacts', 'contacts', true)).toBe(true);
  });

  it('hides it from non-friends of a contacts-only owner, and from everyone for nobody', () => {
    expect(seesExactLastSeen('contacts', 'everyone', false)).toBe(false);
    expect(seesExactLastSeen('nobody', 'everyone', true)).toBe(false);
    expect(seesExactLastSeen('contacts', null, false)).toBe(false);
  });

  it('is reciprocal: a viewer who hides theirs from the owner sees no exact last seen of the owner', () => {
    expect(seesExactLastSeen('everyone', 'nobody', true)).toBe(false);
    expect(seesExactLastSeen('everyone', 'contacts', false)).toBe(false);
  });

  it('an anonymous viewer sees what everyone sees', () => {
    expect(seesExactLastSeen('everyone', null, false)).toBe(true);
  });

  it('gives recently, within_week, within_month or long_ago by how long ago', () => {
    expect(lastSeenHint(null, true, NOW)).toBe('recently');
    expect(lastSeenHint(daysAgo(3), false, NOW)).toBe('recently');
    expect(lastSeenHint(daysAgo(3.01), false, NOW)).toBe('within_week');
    expect(lastSeenHint(daysAgo(7), false, NOW)).toBe('within_week');
    expect(lastSeenHint(daysAgo(8), false, NOW)).toBe('within_month');
    expect(lastSeenHint(daysAgo(30), false, NOW)).toBe('within_month');
    expect(lastSeenHint(daysAgo(31), false, NOW)).toBe('long_ago');
    expect(lastSeenHint(null, false, NOW)).toBe('long_ago');
  });
});
