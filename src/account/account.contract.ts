import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { PATH_ID } from '../common/openapi/helpers.js';
import { closed, ID, nullable, ref, time } from '../common/openapi/schemas.js';
import { DeleteMeDto } from './dto/account.dto.js';

export const ACCOUNT_RPC = {
  delete_me: { rest: 'DELETE /me', access: 'user', dto: DeleteMeDto },
} satisfies Record<string, RpcMethodContract>;

export const ACCOUNT_CONTRACT: ApiContract = {
  operations: {
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
  },
  schemas: {
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
          'admin_action',
        ],
      },
      created_at: time(),
      ip: nullable({ type: 'string', description: 'The client address the event came from.' }),
      user_agent: nullable({ type: 'string' }),
      details: {
        type: 'object',
        additionalProperties: true,
        description:
          'What the type adds: `method` of a login, `email`, `device`…; `{}` when nothing. `admin_action`: ' +
          '`action` (disable, enable, end_sessions, delete, confirm, send_reset), `key_name` and `key_id` of ' +
          'the service key that did it (`key_name` `cli` and `key_id` null: an operator on the command line).',
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
    UserDeletedEvent: {
      ...closed({ user_id: ID }),
      description: '`user_deleted`: a friend deleted their account; drop them from what you show.',
    },
  },
  rpcMethods: ACCOUNT_RPC,
};
