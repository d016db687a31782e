import type { LastSeenVisibility } from './user.entity.js';

/** What a viewer who may not see the exact last seen gets instead. */
export const LAST_SEEN_HINTS = ['recently', 'within_week', 'within_month', 'long_ago'] as const;
export type LastSeenHint = (typeof LAST_SEEN_HINTS)[number];

const DAY_MS = 24 * 3600 * 1000;

/** Whether a user with this setting shows their exact last seen to someone (`friends`: mutual contacts). */
export function showsLastSeenTo(visibility: LastSeenVisibility, friends: boolean): boolean {
  return visibility === 'everyone' || (visibility === 'contacts' && friends);
}

/**
 * Reciprocal, as chat apps do it: the viewer sees the owner's exact last seen and online state only
 * if the owner shows theirs to the viewer and the viewer shows theirs to the owner. An anonymous
 * viewer (null) has no setting of their own: only `everyone` shows to them.
 */
export function seesExactLastSeen(
  owner: LastSeenVisibility,
  viewer: LastSeenVisibility | null,
  friends: boolean,
): boolean {
  return showsLastSeenTo(owner, friends) && (viewer === null || showsLastSeenTo(viewer, friends));
}

/** The coarse answer: online now or within 3 days is `recently`; never seen is `long_ago`. */
export function lastSeenHint(lastSeen: Date | null, online: boolean, nowMs: number): LastSeenHint {
  if (online) return 'recently';
  if (lastSeen === null) return 'long_ago';
  const ago = nowMs - lastSeen.getTime();
  if (ago <= 3 * DAY_MS) return 'recently';
  if (ago <= 7 * DAY_MS) return 'within_week';
  if (ago <= 30 * DAY_MS) return 'within_month';
  return 'long_ago';
}
