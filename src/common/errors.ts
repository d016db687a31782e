/** Every error code of the API with its default HTTP status and text. */
export const ERROR_CODES = {
  invalid_params: { status: 400, text: 'invalid parameters' },
  invalid_email: { status: 400, text: 'invalid email address' },
  registration_error: { status: 400, text: 'registration failed' },
  weak_password: { status: 400, text: 'password is too weak' },
  invalid_password: { status: 400, text: 'current password is wrong' },
  invalid_nick: { status: 400, text: 'invalid nick' },
  invalid_avatar: { status: 400, text: 'invalid avatar' },
  invalid_user_status: { status: 400, text: 'status must be null, away, busy, do_not_disturb or invisible' },
  invalid_notification_service: {
    status: 400,
    text: 'notification service must be ios_app, android_app or web_push',
  },
  invalid_token: { status: 400, text: 'token is unknown, used or expired' },
  auth_failed: { status: 401, text: 'wrong email or password' },
  unauthorized: { status: 401, text: 'a valid access token is required' },
  email_not_confirmed: { status: 403, text: 'confirm your email address first' },
  blocked: { status: 403, text: 'this user has blocked you' },
  not_found: { status: 404, text: 'not found' },
  method_not_allowed: { status: 405, text: 'this path does not answer this method' },
  forbidden: { status: 403, text: 'this key lacks the scope the route needs' },
  account_disabled: { status: 403, text: 'this account has been disabled by an operator' },
  mfa_required: { status: 401, text: 'enter the code from your authenticator app' },
  invalid_mfa_code: { status: 400, text: 'the code is wrong, used or expired' },
  identity_conflict: {
    status: 409,
    text: 'an account with this email address exists: sign in to it, then link this identity',
  },
  payload_too_large: { status: 413, text: 'request body is too large' },
  please_wait: { status: 429, text: 'too many attempts, please wait' },
  rate_exceeded: { status: 429, text: 'requested too recently' },
  unavailable: { status: 503, text: 'service temporarily unavailable' },
  internal_error: { status: 500, text: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  /** Overrides the code's default status, e.g. 409 for a taken email or nick. */
  status?: number;
  /** Seconds until the client may try again; sent as `retry_after` and `Retry-After` (429 only). */
  retryAfter?: number;
  /** Extra fields of the error object, e.g. `mfa_token` with `mfa_required`. */
  fields?: Record<string, string | number>;
}

/** The one error type services throw; the global filter turns it into the API's envelope. */
export class AppError extends Error {
  readonly status: number;
  readonly retryAfter?: number;
  readonly fields?: Record<string, string | number>;

  constructor(
    readonly code: ErrorCode,
    text?: string,
    options: AppErrorOptions = {},
  ) {
    super(text ?? ERROR_CODES[code].text);
    this.status = options.status ?? ERROR_CODES[code].status;
    this.retryAfter = options.retryAfter;
    this.fields = options.fields;
  }
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    text: string;
    retry_after?: number;
    request_id?: string;
    mfa_token?: string;
    [field: string]: string | number | undefined;
  };
}
