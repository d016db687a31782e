import type { ResponseFailure } from '@parse/node-apn';

/** What to do about a device APNs did not accept. */
export type FailureVerdict =
  /** 410 Unregistered, 400 BadDeviceToken: the token will never work again; forget it. */
  | 'dead_token'
  /** 429, 5xx, an expired provider token, or no answer at all: try again later. */
  | 'retry'
  /** 403 other than ExpiredProviderToken: our key, key id or team id is wrong; every push fails alike. */
  | 'bad_key'
  /** Any other refusal (a payload APNs rejects): retrying would get the same answer. */
  | 'refused';

/** Retries after the first attempt; then the push is given up and logged. */
export const MAX_RETRIES = 3;

export function judgeFailure(failure: ResponseFailure): FailureVerdict {
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

/**
 * Delay before retry number `retry` (1-based): base, 2 × base, 4 × base…, each spread over ±20 %
 * so that many pushes refused at once (429) do not all come back at the same instant.
 */
export function retryDelayMs(baseMs: number, retry: number, random: () => number = Math.random): number {
  return Math.round(baseMs * 2 ** (retry - 1) * (0.8 + 0.4 * random()));
}
