import type { PushVerdict } from './push-provider.js';

/** FCM HTTP v1's error body: a google.rpc.Status with FCM's own error code among its details. */
export interface FcmError {
  code?: number;
  message?: string;
  status?: string;
  details?: { '@type'?: string; errorCode?: string; fieldViolations?: { field?: string }[] }[];
}

/** FCM's error code (`UNREGISTERED`, `INVALID_ARGUMENT`…), else the RPC status, else nothing. */
export function fcmErrorCode(error: FcmError | null): string | null {
  const fcm = error?.details?.find((detail) => typeof detail.errorCode === 'string')?.errorCode;
  return fcm ?? error?.status ?? null;
}

/**
 * What an FCM answer means for the device. 404 UNREGISTERED: the app was uninstalled or the
 * token expired. 400 INVALID_ARGUMENT about the token (a field violation on `message.token`, or
 * FCM's "not a valid FCM registration token"): it never was one. Both are forgotten; our message
 * is fixed, so an INVALID_ARGUMENT about something else is a refusal, not a dead token. 429 and
 * 5xx are retried; 401 (our access token refused) and 403 other than SENDER_ID_MISMATCH mean our
 * service account may not send for this project.
 */
export function judgeFcmAnswer(status: number, error: FcmError | null): PushVerdict {
  const code = fcmErrorCode(error);
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 404 || code === 'UNREGISTERED') return 'dead_token';
  if (status === 400 && code === 'INVALID_ARGUMENT' && aboutTheToken(error)) return 'dead_token';
  if (status === 429 || status >= 500) return 'retry';
  if (status === 401 || (status === 403 && code !== 'SENDER_ID_MISMATCH')) return 'bad_key';
  return 'refused';
}

function aboutTheToken(error: FcmError | null): boolean {
  const violations = error?.details?.flatMap((detail) => detail.fieldViolations ?? []) ?? [];
  if (violations.some((violation) => violation.field === 'message.token')) return true;
  return /registration token/i.test(error?.message ?? '');
}
