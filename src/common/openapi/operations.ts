import type { SchemaObject } from '@nestjs/swagger';
import type { ErrorCode } from '../errors.js';
import { ID, type SchemaName } from './schemas.js';

/**
 * What each operation answers, beside what @nestjs/swagger reads from the controllers: its
 * success status and body, the error codes it can answer with (their statuses come from the code
 * table, `conflict`/`tooLarge` name the codes answered with 409/413), its parameters' real types
 * and its request examples. Keyed by `METHOD /path` under /api/v1 (as the routes read). The
 * document refuses to build when an operation has no entry here, or an entry no operation.
 */
/** A parameter: where it is (path unless said), whether it is required, and its schema. */
export type ParameterSpec = Omit<SchemaObject, 'required'> & {
  in?: 'query' | 'path' | 'header';
  required?: boolean;
};

export interface OperationContract {
  status: number;
  /** The success body; for a stream or an image, its content type and schema. */
  /** The success body: a schema's name (shared or a feature's), or a content type and schema. */
  body: string | { contentType: string; schema: SchemaObject; description: string };
  /** Other statuses with the same body (304: none), e.g. 200 for a device that was already mine. */
  alsoStatus?: Record<number, string>;
  errors?: ErrorCode[];
  conflict?: ErrorCode[];
  tooLarge?: ErrorCode[];
  /** A public operation that also reads the caller when a valid token is sent. */
  optionalCaller?: boolean;
  /** Path and query parameters, by name. */
  params?: Record<string, ParameterSpec>;
  /** The request body's schema, replacing the one read from the DTO. */
  requestSchema?: SchemaObject;
  requestExamples?: Record<string, { summary: string; value: unknown }>;
  description?: string;
  headers?: Record<string, { description: string; schema: SchemaObject }>;
}

const PATH_ID: ParameterSpec = {
  type: 'integer',
  format: 'int32',
  minimum: 1,
  maximum: ID.maximum,
  example: 290,
  description: 'A positive integer (decimal digits only).',
};

/**
 * A record answered with a weak `ETag` and `Cache-Control: private, no-cache`; `If-None-Match`
 * with that tag answers 304 with no body while nothing the caller sees of it changed.
 */
const CONDITIONAL = {
  alsoStatus: {
    304: 'Not modified: nothing the caller sees changed since the `ETag` sent in `If-None-Match`.',
  },
  headers: {
    ETag: {
      description:
        'A weak tag of the record as the caller sees it: it changes with every visible change, presence and blocks included.',
      schema: { type: 'string', example: 'W/"mV0f2pQ6Zr1Yc3b8Xk4aTw"' },
    },
  },
  params: {
    'If-None-Match': {
      in: 'header',
      type: 'string',
      description: 'The `ETag` of the answer the caller holds: 304 while it is current.',
    },
  },
} satisfies Pick<OperationContract, 'alsoStatus' | 'headers' | 'params'>;

const EVENT_STREAM_DESCRIPTION = [
  'A `text/event-stream` of Server-Sent Events. Each message has `id:` (per user, increasing: send',
  'it back as `Last-Event-ID`, or `?last_event_id=`, to resume), `event:` and one line of JSON `data:`.',
  'A comment line keeps the connection open every 25 s; `retry:` is sent once.',
  '',
  '| event | data |',
  '|---|---|',
  '| `user_updated` | `UserUpdatedEvent`: own record to the user, public record to friends |',
  '| `presence` | `PresenceEvent` |',
  '| `contact_added` | `ContactAddedEvent` |',
  '| `blocked`, `unblocked` | `BlockEvent` |',
  '| `user_deleted` | `UserDeletedEvent`: a friend deleted their account |',
  '| `resync` | `ResyncEvent` (`{}`): events since `Last-Event-ID` are gone; reload what you show |',
].join('\n');

const QR_STREAM_DESCRIPTION = [
  'A `text/event-stream` that ends with one event:',
  '',
  '| event | data |',
  '|---|---|',
  '| `qr_login` | `QrLoginEvent`: a new session of this browser |',
  '| `qr_expired` | `QrExpiredEvent`: used or expired; ask a new code |',
].join('\n');

const stream = (message: SchemaName, description: string): OperationContract['body'] => ({
  contentType: 'text/event-stream',
  schema: { $ref: `#/components/schemas/${message}` } as SchemaObject,
  description,
});

const EMAIL_PASSWORD = { email: 'ann@example.com', password: 'Correct-horse-42' };
const CREDENTIALS_SCHEMA: SchemaObject = {
  description: 'Either email and password, or the auth token of an earlier login; never both.',
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['email', 'password'],
      properties: {
        email: { type: 'string', description: 'An email address; international letters are allowed.' },
        password: { type: 'string' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['auth_token'],
      properties: {
        auth_token: { type: 'string', description: 'The `auth_token` of an earlier login.' },
      },
    },
  ],
};
const CREDENTIALS_EXAMPLES = {
  password: { summary: 'By email and password', value: EMAIL_PASSWORD },
  auth_token: { summary: 'By the auth token of an earlier login', value: { auth_token: 'q2Lx…' } },
};

export const OPERATIONS: Record<string, OperationContract> = {
  'POST /auth/register': {
    status: 201,
    body: 'RegisterAnswer',
    errors: ['invalid_email', 'registration_error', 'invalid_nick', 'please_wait'],
    conflict: ['invalid_email', 'invalid_nick'],
    requestExamples: {
      plain: { summary: 'An account', value: { ...EMAIL_PASSWORD, nick: 'Annie' } },
      auto_login: {
        summary: 'An account, logged in at once',
        value: { ...EMAIL_PASSWORD, auto_login: true },
      },
    },
  },
  'GET /auth/confirm': {
    status: 302,
    body: 'Empty',
    description:
      "Always a redirect to the application's root URL: `?email_confirmed=1`, `?error=invalid_token` (unknown, used or expired) or `?error=invalid_email` (the address was taken meanwhile).",
    params: {
      token: { in: 'query', required: true, type: 'string', description: 'The token of the mailed link.' },
    },
    headers: {
      Location: { description: 'Where the browser goes.', schema: { type: 'string', format: 'uri' } },
    },
  },
  'POST /auth/resend-confirmation': { status: 200, body: 'Empty', errors: ['please_wait'] },
  'POST /auth/password-reset/request': {
    status: 200,
    body: 'Empty',
    errors: ['invalid_email', 'rate_exceeded'],
  },
  'POST /auth/password-reset': { status: 200, body: 'Empty', errors: ['invalid_token', 'weak_password'] },
  'POST /auth/login': {
    status: 200,
    body: 'LoginAnswer',
    errors: ['auth_failed', 'mfa_required', 'please_wait'],
    description:
      'With two-step login on, a right password answers `401 mfa_required` with an `mfa_token` in the error: send it with a code to `POST /auth/login/mfa`.',
    requestSchema: CREDENTIALS_SCHEMA,
    requestExamples: CREDENTIALS_EXAMPLES,
  },
  'POST /auth/logout': { status: 200, body: 'Empty' },
  'POST /auth/qr': { status: 201, body: 'QrCode', errors: ['please_wait'] },
  'GET /auth/qr/{id}/events': {
    status: 200,
    body: stream('QrLoginMessage', QR_STREAM_DESCRIPTION),
    params: {
      id: { in: 'path', type: 'string', description: 'The `id` from POST /auth/qr.' },
      key: { in: 'query', required: true, type: 'string', description: 'The `key` from POST /auth/qr.' },
    },
  },
  'GET /auth/qr/{id}': {
    status: 200,
    body: 'QrDetails',
    errors: ['invalid_token'],
    params: {
      id: { in: 'path', type: 'string', description: 'The `id` in the scanned `uri`.' },
      key: { in: 'query', required: true, type: 'string', description: 'The `key` in the scanned `uri`.' },
    },
  },
  'POST /auth/qr/{id}/approve': {
    status: 200,
    body: 'Empty',
    errors: ['invalid_token'],
    requestExamples: {
      approve: {
        summary: 'The key from the uri, the number the page shows',
        value: { key: 'q2Lx…', check: '47' },
      },
    },
    params: { id: { in: 'path', type: 'string', description: 'The `id` in the scanned `uri`.' } },
  },
  'POST /tokens': {
    status: 200,
    body: 'AccessToken',
    errors: ['auth_failed', 'mfa_required', 'please_wait'],
    description:
      'With two-step login on, a right password answers `401 mfa_required` with an `mfa_token`, as `POST /auth/login` does.',
    requestSchema: CREDENTIALS_SCHEMA,
    requestExamples: CREDENTIALS_EXAMPLES,
  },
  'GET /tokens/sessions': { status: 200, body: 'SessionsAnswer' },
  'DELETE /tokens/sessions/{id}': {
    status: 200,
    body: 'Empty',
    errors: ['not_found'],
    params: { id: PATH_ID },
  },
  'DELETE /tokens/sessions': { status: 200, body: 'Empty' },
  'POST /tokens/sse-code': {
    status: 200,
    body: 'SseCodeAnswer',
    description:
      'Answers 200, not 201: it returns the existing code when there is one (the seed calls it again at each start), so nothing is necessarily created.',
  },
  'DELETE /tokens/sse-code': { status: 200, body: 'Empty' },
  'GET /me': { status: 200, body: 'UserAnswer', ...CONDITIONAL },
  'PATCH /me': {
    status: 200,
    body: 'UserAnswer',
    errors: [
      'invalid_nick',
      'weak_password',
      'invalid_password',
      'invalid_avatar',
      'invalid_email',
      'please_wait',
    ],
    conflict: ['invalid_nick', 'invalid_email'],
    tooLarge: ['invalid_avatar'],
    requestExamples: {
      profile: {
        summary: 'Nick, status text and mobile number',
        value: { nick: 'Annie', status_message: 'On holiday', mobile_number: '+44 20 7946 0000' },
      },
      password: {
        summary: 'A new password',
        value: { password: 'Another-horse-43', current_password: 'Correct-horse-42' },
      },
      lastSeen: {
        summary: 'Show my exact last seen to friends only',
        value: { last_seen_visibility: 'contacts' },
      },
    },
  },
  'DELETE /me': {
    status: 200,
    body: 'Empty',
    errors: ['invalid_password', 'please_wait'],
    description:
      'Needs `current_password`; an account without a password needs a session opened in the last 5 minutes (else `401 unauthorized`). A wrong password counts among the failed password checks of the address (then `429 please_wait`).',
    requestExamples: {
      delete: { summary: 'With the password', value: { current_password: 'Correct-horse-42' } },
    },
  },
  'GET /me/export': { status: 200, body: 'AccountExport', errors: ['please_wait'] },
  'GET /me/activity': {
    status: 200,
    body: 'ActivityPage',
    params: {
      before_id: {
        in: 'query',
        ...PATH_ID,
        description: 'Events older than this one: the `next_before_id` of the page before.',
      },
      limit: {
        in: 'query',
        type: 'integer',
        minimum: 1,
        maximum: 100,
        default: 50,
        description: 'Events per page.',
      },
    },
  },
  'PUT /me/avatar': {
    status: 200,
    body: 'UserAnswer',
    errors: ['invalid_avatar'],
    tooLarge: ['invalid_avatar'],
  },
  'DELETE /me/avatar': { status: 200, body: 'UserAnswer' },
  'GET /users/{id}': {
    status: 200,
    body: 'PublicUserAnswer',
    errors: ['not_found'],
    optionalCaller: true,
    ...CONDITIONAL,
    params: { id: PATH_ID, ...CONDITIONAL.params },
  },
  'GET /users': {
    status: 200,
    body: 'PublicUsersAnswer',
    description: [
      'Exactly one of `ids` and `nick`.',
      '',
      '- `ids`: the public records of up to 100 users at once, in the order asked (an id sent twice',
      '  answers once), each as `GET /users/{id}` answers it to the caller; ids of no user are left',
      '  out. With an `ETag`: send it back in `If-None-Match` for a 304 while nothing shown changed.',
      '- `nick`: confirmed users with `searchable_nick` whose nick starts with the prefix, at most 20.',
    ].join('\n'),
    alsoStatus: CONDITIONAL.alsoStatus,
    params: {
      ids: {
        in: 'query',
        type: 'string',
        pattern: '^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9}){0,99}$',
        example: '12,7,290',
        description: 'User ids separated by commas, at most 100.',
      },
      nick: {
        in: 'query',
        type: 'string',
        minLength: 2,
        maxLength: 64,
        description: 'Nick prefix, case-insensitive.',
      },
      ...CONDITIONAL.params,
    },
  },
  'GET /avatars/{key}': {
    status: 200,
    body: {
      contentType: 'image/webp',
      schema: { type: 'string', format: 'binary' },
      description: 'The image; `ETag` and a year of `Cache-Control: immutable`.',
    },
    alsoStatus: { 304: 'Not modified (`If-None-Match` names its ETag).' },
    errors: ['not_found'],
    params: { key: { in: 'path', type: 'string', description: 'From an avatar URL of a record.' } },
  },
  'GET /contacts': { status: 200, body: 'ContactsAnswer' },
  'GET /contacts/added-me': {
    status: 200,
    body: 'PublicUsersAnswer',
    description:
      'Who added me and is not in my contacts yet (oldest first), as I see them; nobody on either side of a block.',
  },
  'POST /contacts': { status: 200, body: 'ContactAnswer', errors: ['blocked', 'not_found'] },
  'DELETE /contacts/{user_id}': {
    status: 200,
    body: 'Empty',
    errors: ['not_found'],
    params: { user_id: PATH_ID },
  },
  'PUT /me/status': { status: 200, body: 'UserAnswer', errors: ['invalid_user_status'] },
  'GET /users/{id}/last-seen': {
    status: 200,
    body: 'LastSeen',
    errors: ['not_found'],
    optionalCaller: true,
    params: { id: PATH_ID },
  },
  'POST /blocks': {
    status: 200,
    body: 'Empty',
    errors: ['not_found', 'please_wait'],
    description:
      'At most 10 block or unblock changes an hour between two users (either side), then `429 please_wait`.',
  },
  'DELETE /blocks/{user_id}': {
    status: 200,
    body: 'Empty',
    errors: ['not_found', 'please_wait'],
    description:
      'At most 10 block or unblock changes an hour between two users (either side), then `429 please_wait`.',
    params: { user_id: PATH_ID },
  },
  'GET /blocks': { status: 200, body: 'PublicUsersAnswer' },
  'GET /blocks/blockers': { status: 200, body: 'PublicUsersAnswer' },
  'GET /events': {
    status: 200,
    body: stream('EventMessage', EVENT_STREAM_DESCRIPTION),
    errors: ['please_wait'],
    params: {
      code: { in: 'query', required: true, type: 'string', description: 'From POST /tokens/sse-code.' },
      last_event_id: {
        in: 'query',
        type: 'string',
        pattern: '^[0-9]*$',
        description: 'For clients that cannot send `Last-Event-ID`; the header wins.',
      },
      'Last-Event-ID': {
        in: 'header',
        type: 'string',
        description: 'The last id seen: the stream starts with the events after it, or `resync`.',
      },
    },
  },
  'POST /rpc/{method}': { status: 200, body: 'Empty' },
  'GET /health': { status: 200, body: 'Health' },
  'GET /health/ready': {
    status: 200,
    body: 'Readiness',
    errors: ['unavailable'],
    description:
      'Answers `503 unavailable` (the error envelope) while the database or Redis does not answer.',
  },
};
