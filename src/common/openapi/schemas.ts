import type { SchemaObject } from '@nestjs/swagger';
import { MAX_ID } from '../ids.js';

/**
 * The records and answers of the API as JSON schemas (components of the OpenAPI document). Every
 * object is closed (`additionalProperties: false`): the e2e suite validates each response against
 * them, so a field the document does not name fails a test.
 */

const closed = (
  properties: Record<string, SchemaObject>,
  required = Object.keys(properties),
): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const time = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
// An enum that may be null lists null too (OpenAPI 3.0: `nullable` does not widen an `enum`).
const nullable = (schema: SchemaObject): SchemaObject => ({
  ...schema,
  nullable: true,
  ...(schema.enum ? { enum: [...schema.enum, null] } : {}),
});

function message(events: string[], data: string): SchemaObject {
  return closed(
    {
      id: { type: 'string', description: 'Absent on QR streams.' },
      event: { type: 'string', enum: events },
      data: ref(data),
    },
    ['event', 'data'],
  );
}

export const ID: SchemaObject = {
  type: 'integer',
  format: 'int32',
  minimum: 1,
  maximum: MAX_ID,
  example: 290,
};
const USER_STATUS = ['away', 'busy', 'do_not_disturb'];
const HINT: SchemaObject = nullable({
  type: 'string',
  enum: ['recently', 'within_week', 'within_month', 'long_ago'],
  description:
    'Set instead of the exact last seen and online state when last-seen privacy withholds them; null otherwise.',
});
const CHECK: SchemaObject = {
  type: 'string',
  pattern: '^[0-9]{2}$',
  example: '47',
  description: 'The two digits the browser page shows; the approval must repeat them.',
};
const QR_DEVICE = {
  user_agent: nullable({ type: 'string', maxLength: 300 }),
  device: { type: 'string', example: 'Chrome on macOS' },
  ip: nullable({ type: 'string' }),
};

export const SCHEMAS = {
  Error: {
    ...closed({
      error: closed(
        {
          code: { type: 'string', description: 'One of the codes listed in the response.' },
          text: { type: 'string', description: 'For people; may change. Programs read `code`.' },
          retry_after: {
            type: 'integer',
            minimum: 0,
            description: '429 only: seconds until the call may be tried again (also `Retry-After`).',
          },
          request_id: { type: 'string', description: '5xx only: quote it when reporting the failure.' },
          mfa_token: {
            type: 'string',
            description:
              '`mfa_required` only: send it with a code to `POST /auth/login/mfa` within 5 minutes (single use).',
          },
        },
        ['code', 'text'],
      ),
    }),
    description: 'Every failure: the HTTP status plus this envelope.',
  },
  Avatar: {
    ...closed({
      full: { type: 'string', format: 'uri', description: 'At most 1024 px, WebP.' },
      small: {
        type: 'string',
        format: 'uri',
        description: '128 px square, WebP; equal to `full` when small.',
      },
    }),
    nullable: true,
  },
  OwnUser: {
    ...closed({
      id: { ...ID, description: 'Also the JID of the user.' },
      nick: nullable({ type: 'string', example: 'Annie' }),
      email: { type: 'string', description: 'An email address; international letters are allowed.' },
      pending_email: nullable({
        type: 'string',
        description: 'A new address waiting for its confirmation link.',
      }),
      searchable_nick: { type: 'boolean' },
      confirmed_at: nullable(time('null until the address is confirmed.')),
      auth_token: nullable({
        type: 'string',
        description: 'The session auth token: only in the answer that opened the session; null elsewhere.',
      }),
      avatar: ref('Avatar'),
      status: nullable({ type: 'string', enum: [...USER_STATUS, 'invisible'] }),
      status_message: nullable({ type: 'string', maxLength: 256 }),
      mobile_number: nullable({ type: 'string', maxLength: 32 }),
      is_online: { type: 'boolean' },
      last_seen_at: nullable(time()),
      last_seen_visibility: {
        type: 'string',
        enum: ['everyone', 'contacts', 'nobody'],
        description: 'Who sees my exact last seen and online state (contacts: friends).',
      },
      created_at: time(),
    }),
    description: 'The own record: only the user sees it.',
  },
  PublicUser: {
    ...closed({
      id: ID,
      nick: nullable({ type: 'string', example: 'Annie' }),
      avatar: ref('Avatar'),
      status: nullable({ type: 'string', enum: USER_STATUS }),
      status_message: nullable({ type: 'string' }),
      is_online: { type: 'boolean' },
      last_seen_at: nullable(time()),
      last_seen_hint: HINT,
    }),
    description:
      'What anybody may see. Presence, avatar and status are hidden (null / false) from a user the owner blocked; an invisible user shows status null and is_online false.',
  },
  Contact: {
    ...closed({
      id: ID,
      nick: nullable({ type: 'string' }),
      avatar: ref('Avatar'),
      status: nullable({ type: 'string', enum: USER_STATUS }),
      status_message: nullable({ type: 'string' }),
      is_online: { type: 'boolean' },
      last_seen_at: nullable(time()),
      last_seen_hint: HINT,
      is_friend: { type: 'boolean', description: 'They added me back (and no block stands between us).' },
    }),
    description: 'A public record plus `is_friend`.',
  },
  UserAnswer: closed({ user: ref('OwnUser') }),
  PublicUserAnswer: closed({ user: ref('PublicUser') }),
  PublicUsersAnswer: closed({ users: { type: 'array', items: ref('PublicUser') } }),
  ContactAnswer: closed({ user: ref('Contact') }),
  ContactsAnswer: closed({ users: { type: 'array', items: ref('Contact') } }),
  Empty: { type: 'object', additionalProperties: false, properties: {}, description: 'Done.' },
  ResultTrue: closed({ result: { type: 'boolean', enum: [true] } }),
  AccessToken: closed({
    access_token: {
      type: 'string',
      description: 'A JWT: send it as `Authorization: Bearer <access_token>`.',
    },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', minimum: 1, description: 'Seconds (ACCESS_TOKEN_TTL).' },
  }),
  LoginAnswer: closed({
    user: ref('OwnUser'),
    access_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', minimum: 1 },
  }),
  RegisterAnswer: {
    ...closed(
      {
        user: ref('OwnUser'),
        access_token: { type: 'string' },
        token_type: { type: 'string', enum: ['Bearer'] },
        expires_in: { type: 'integer', minimum: 1 },
      },
      ['user'],
    ),
    description: 'With `auto_login` also the access token of the new session (and `user.auth_token`).',
  },
  Session: closed({
    id: ID,
    created_at: time(),
    last_used_at: time(),
    user_agent: nullable({ type: 'string' }),
    ip: nullable({ type: 'string' }),
    current: { type: 'boolean', description: 'The session of the calling access token.' },
  }),
  SessionsAnswer: closed({ sessions: { type: 'array', items: ref('Session') } }),
  SseCodeAnswer: closed({
    code: {
      type: 'string',
      example: '290.q2Lx…',
      description: 'The credential of GET /events?code=; the same one until revoked.',
    },
  }),
  Device: closed({
    id: ID,
    token: {
      type: 'string',
      minLength: 1,
      maxLength: 1000,
      description:
        "As registered: an APNs token (lower-case hex), an FCM registration token, or a browser's push subscription (JSON).",
    },
    notification_service: { type: 'string', enum: ['ios_app', 'android_app', 'web_push'] },
    created_at: time(),
    registered_at: time('When it was last registered (by me).'),
  }),
  LastSeen: closed({
    user_id: ID,
    is_online: { type: 'boolean' },
    last_seen_at: nullable(time()),
    seconds_ago: nullable({ type: 'integer', minimum: 0 }),
    last_seen_hint: HINT,
  }),
  QrCode: closed({
    id: { type: 'string', description: 'The QR code id (path of its stream and approval).' },
    key: { type: 'string', description: 'Secret: for the stream (`?key=`) and in `uri` for the phone.' },
    uri: { type: 'string', example: 'unichat://qr-login?id=…&key=…' },
    png: { type: 'string', description: 'A data URL (data:image/png;base64,…) of the QR code of `uri`.' },
    expires_at: time(),
    check: CHECK,
  }),
  SecurityEvent: closed({
    id: ID,
    type: {
      type: 'string',
      enum: [
        'login',
        'login_failed',
        'logout',
        'session_ended',
        'password_changed',
        'password_reset',
        'email_confirmed',
        'email_change_requested',
        'email_change_confirmed',
        'device_added',
        'device_moved',
        'account_exported',
        'account_deleted',
        'totp_enabled',
        'totp_disabled',
        'recovery_code_used',
        'recovery_codes_renewed',
        'passkey_added',
        'passkey_removed',
      ],
    },
    created_at: time(),
    ip: nullable({ type: 'string', description: 'The client address the event came from.' }),
    user_agent: nullable({ type: 'string' }),
    details: {
      type: 'object',
      additionalProperties: true,
      description: 'What the type adds: `method` of a login, `email`, `device`…; `{}` when nothing.',
      example: { method: 'password' },
    },
  }),
  ActivityPage: {
    ...closed({
      events: { type: 'array', items: ref('SecurityEvent') },
      next_before_id: nullable({
        ...ID,
        description: 'Send as `before_id` for the next page; null on the last page.',
      }),
    }),
    description: 'My security events, newest first; kept 90 days.',
  },
  AccountExport: {
    ...closed({
      exported_at: time(),
      user: ref('OwnUser'),
      contacts: { type: 'array', items: ref('Contact') },
      added_me: { type: 'array', items: ref('PublicUser'), description: 'Who has me as a contact.' },
      blocks: closed({
        blocked_by_me: { type: 'array', items: ref('PublicUser') },
        blocked_me: { type: 'array', items: ref('PublicUser') },
      }),
      sessions: { type: 'array', items: ref('Session') },
      devices: { type: 'array', items: ref('Device') },
      activity: { type: 'array', items: ref('SecurityEvent') },
      second_factor: ref('SecondFactorStatus'),
      passkeys: { type: 'array', items: ref('Passkey') },
      identities: { type: 'array', items: ref('Identity'), description: 'Linked OpenID identities.' },
    }),
    description:
      'Everything the service holds about me, as one document; `user.auth_token` is null (no secret in an export).',
  },
  QrDetails: {
    ...closed({
      id: { type: 'string' },
      ...QR_DEVICE,
      created_at: time(),
      expires_at: time(),
      check: CHECK,
    }),
    description: 'The browser that asked for the QR code, as the phone sees it before approving.',
  },
  Health: closed({ status: { type: 'string', enum: ['ok'] } }),
  Readiness: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { type: 'string', enum: ['ok', 'error'] },
      info: { type: 'object', additionalProperties: { type: 'object' } },
      error: { type: 'object', additionalProperties: { type: 'object' } },
      details: { type: 'object', additionalProperties: { type: 'object' } },
    },
    description: 'The state of the database and Redis (terminus health check).',
  },
  // The payloads of the event streams (the `data:` of each message).
  UserUpdatedEvent: {
    ...closed({ user: { oneOf: [ref('OwnUser'), ref('PublicUser')] } }),
    description: '`user_updated`: the own record to the user, the public record to their friends.',
  },
  PresenceEvent: {
    ...closed({
      user_id: ID,
      is_online: { type: 'boolean' },
      status: nullable({ type: 'string', enum: USER_STATUS }),
      last_seen_at: nullable(time()),
      last_seen_hint: HINT,
    }),
    description: '`presence`: a friend came online, went offline or changed status.',
  },
  ContactAddedEvent: {
    ...closed({ user: ref('PublicUser') }),
    description: '`contact_added`: someone added me as a contact (their public record).',
  },
  BlockEvent: {
    ...closed({ user_id: ID }),
    description: '`blocked` / `unblocked`: to both sides; `user_id` is the other one.',
  },
  UserDeletedEvent: {
    ...closed({ user_id: ID }),
    description: '`user_deleted`: a friend deleted their account; drop them from what you show.',
  },
  ResyncEvent: {
    ...closed({}),
    description: '`resync`: the `Last-Event-ID` is older than the kept events: reload state.',
  },
  QrLoginEvent: {
    ...closed({
      user: ref('OwnUser'),
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer', minimum: 1 },
      approved_by: { ...closed(QR_DEVICE), description: 'The device that approved the code.' },
    }),
    description: '`qr_login`: the QR code was approved; a new session of this browser.',
  },
  QrExpiredEvent: {
    ...closed({
      id: { type: 'string' },
      reason: {
        type: 'string',
        enum: ['expired', 'wrong_check'],
        description: '`wrong_check`: a phone sent a wrong check number, which voids the code.',
      },
    }),
    description: '`qr_expired`: the code was used, expired or voided; ask a new one.',
  },
  EventMessage: {
    description:
      'One message of GET /events, as an EventSource delivers it: `id` (for `Last-Event-ID`), the event name, and its `data` parsed from JSON.',
    oneOf: [
      message(['user_updated'], 'UserUpdatedEvent'),
      message(['presence'], 'PresenceEvent'),
      message(['contact_added'], 'ContactAddedEvent'),
      message(['blocked', 'unblocked'], 'BlockEvent'),
      message(['user_deleted'], 'UserDeletedEvent'),
      message(['resync'], 'ResyncEvent'),
    ],
  },
  QrLoginMessage: {
    description: 'The one message of GET /auth/qr/{id}/events, its `data` parsed from JSON.',
    oneOf: [message(['qr_login'], 'QrLoginEvent'), message(['qr_expired'], 'QrExpiredEvent')],
  },
} satisfies Record<string, SchemaObject>;

export type SchemaName = keyof typeof SCHEMAS;

/** A reference to one of SCHEMAS. */
export const schemaRef = (name: SchemaName): SchemaObject => ref(name);
