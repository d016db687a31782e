import type { ResponseFailure } from '@parse/node-apn';

import type { PushVerdict } from './push-provider.js';

/**
 * What to do about a device APNs did not accept: 410 Unregistered and 400 BadDeviceToken are dead
 * tokens; 429, 5xx, an expired provider token or no answer are retried; another 403 means our
 * key, key id or team id is wrong; any other refusal (a payload APNs rejects) is final.
 */
export function judgeFailure(failure: ResponseFailure): Exclude<PushVerdict, 'accepted'> {
  const status = Number(failure.status);
  const reason = failureReason(failure);
  if (status === 410) return 'dead_token';
  if (status === 400 && reason === 'BadDeviceToken') return 'dead_token';
  // The library has already made a fresh provider token when it saw this answer.
  if (status === 403 && reason === 'ExpiredProviderToken') return 'retry';
  if (status === 403) return 'bad_key';
  if (status === 429 || status >= 500) return 'retry';
  // No status: the connection failed, was reset or timed out before APNs answered.
  if (!Number.isFinite(status)) return 'retry';
  return 'refused';
}

/** APNs' reason code (`Unregistered`, `TooManyRequests`…) or the library's error text. */
export function failureReason(failure: ResponseFailure): string {
  return failure.response?.reason ?? failure.error?.message ?? 'no answer';
}

export function describeFailure(failure: ResponseFailure): string {
  return failure.status ? `${failure.status} ${failureReason(failure)}` : failureReason(failure);
}
