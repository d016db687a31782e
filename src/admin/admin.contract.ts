import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract, ParameterSpec } from '../common/openapi/contract.js';
import { ID } from '../common/openapi/schemas.js';
import { USERS_CONTRACT } from '../users/users.contract.js';
import { ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX } from './admin-users.service.js';

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const time = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
const closed = (properties: Record<string, SchemaObject>): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});

const USER_ID: ParameterSpec = {
  in: 'path',
  type: 'integer',
  format: 'int32',
  minimum: 1,
  maximum: ID.maximum,
  example: 290,
  description: 'The user id (decimal digits only).',
};
const byId = { params: { id: USER_ID } };
const OPERATOR_RECORD =
  'Answers the record after the change. Written to the user’s activity as `admin_action` (with the ' +
  'key’s name) and logged as an `audit` line naming the key.';

const { auth_token: _secret, ...ownFields } = USERS_CONTRACT.schemas!.OwnUser.properties as Record<
  string,
  SchemaObject
>;

/** The admin API's users part: /admin/users, for a service key with the `admin` scope. */
export const ADMIN_CONTRACT: ApiContract = {
  operations: {
    'GET /admin/users': {
      status: 200,
      body: 'AdminUsersPage',
      description:
        'At most one of `id`, `email`, `nick`; none lists everybody. Ordered by what is searched (id, ' +
        'folded email, folded nick). Paged by keyset: send `next_cursor` back as `cursor` (with the same ' +
        'search) for the next page, until it is null; pages neither skip nor repeat users while others ' +
        'register. Each search is an `audit` log line naming the key.',
      params: {
        id: {
          in: 'query',
          type: 'string',
          pattern: '^[1-9][0-9]{0,9}$',
          example: '290',
          description: 'One user by id.',
        },
        email: { in: 'query', type: 'string', maxLength: 254, description: 'Email prefix, any case.' },
        nick: {
          in: 'query',
          type: 'string',
          maxLength: 64,
          description: 'Nick prefix, any case; every user, searchable or not.',
        },
        limit: {
          in: 'query',
          type: 'integer',
          minimum: 1,
          maximum: ADMIN_PAGE_MAX,
          default: ADMIN_PAGE_DEFAULT,
          description: 'Users per page.',
        },
        cursor: {
          in: 'query',
          type: 'string',
          pattern: '^[A-Za-z0-9_-]{1,700}$',
          example: 'eyJpZCI6MjkwfQ',
          description: 'The `next_cursor` of the page before.',
        },
      },
    },
    'GET /admin/users/{id}': {
      status: 200,
      body: 'AdminUserDetails',
      errors: ['not_found'],
      description: 'Each read is an `audit` log line naming the key.',
      ...byId,
    },
    'POST /admin/users/{id}/disable': {
      status: 200,
      body: 'OperatorUserAnswer',
      errors: ['not_found'],
      description:
        'Every session ends (access tokens are refused and streams close, on every instance); from then ' +
        'on login (after its second step when two-step login is on), token login, `POST /tokens`, RPC login, ' +
        'passkey, QR and OpenID sign-in answer `403 account_disabled` until ' +
        'the account is enabled. Nothing is removed. ' +
        OPERATOR_RECORD,
      ...byId,
    },
    'POST /admin/users/{id}/enable': {
      status: 200,
      body: 'OperatorUserAnswer',
      errors: ['not_found'],
      description:
        'The user may log in again; sessions ended by the disabling stay ended. ' + OPERATOR_RECORD,
      ...byId,
    },
    'POST /admin/users/{id}/sessions/end': {
      status: 200,
      body: 'SessionsEndedAnswer',
      errors: ['not_found'],
      description:
        'As a password reset does: access tokens are refused and streams close, on every instance. ' +
        'Written to the user’s activity as `admin_action`.',
      ...byId,
    },
    'POST /admin/users/{id}/confirm': {
      status: 200,
      body: 'OperatorUserAnswer',
      errors: ['not_found'],
      description:
        'Marks the address in force confirmed (a pending new address stays pending). ' + OPERATOR_RECORD,
      ...byId,
    },
    'POST /admin/users/{id}/password-reset': {
      status: 200,
      body: 'Empty',
      errors: ['not_found', 'rate_exceeded'],
      description:
        'Mails the user a password-reset link, as `POST /auth/password-reset/request` does (one a minute). ' +
        'Written to the user’s activity as `admin_action`.',
      ...byId,
    },
    'DELETE /admin/users/{id}': {
      status: 200,
      body: 'Empty',
      errors: ['not_found'],
      description:
        'Deletes the account as `DELETE /me` does, without the password: everything of it goes, its ' +
        'streams close, friends get `user_deleted`, the address gets the deletion mail. The audit line and ' +
        'the (pseudonymised) activity name the key.',
      ...byId,
    },
  },
  schemas: {
    OperatorUser: {
      ...closed({
        ...ownFields,
        disabled: { type: 'boolean', description: 'An operator disabled the account: it cannot log in.' },
        disabled_at: { ...time('When it was disabled; null while it is not.'), nullable: true },
        last_login_at: {
          ...time('When the user last opened a session (password, QR); null before the first.'),
          nullable: true,
        },
      }),
      description:
        'A user as an operator sees them: the own record without `auth_token`, and the account’s state.',
    },
    OperatorUserAnswer: closed({ user: ref('OperatorUser') }),
    AdminUsersPage: closed({
      users: { type: 'array', items: ref('OperatorUser') },
      next_cursor: {
        type: 'string',
        nullable: true,
        description: 'Send as `cursor` for the next page; null on the last page.',
      },
    }),
    AdminSession: closed({
      id: ID,
      created_at: time(),
      last_used_at: time(),
      user_agent: { type: 'string', nullable: true },
      ip: { type: 'string', nullable: true },
    }),
    AdminUserDetails: closed({
      user: ref('OperatorUser'),
      sessions: { type: 'array', items: ref('AdminSession'), description: 'Live sessions, newest first.' },
      devices: { type: 'array', items: ref('Device') },
    }),
    SessionsEndedAnswer: closed({
      sessions_ended: { type: 'integer', minimum: 0, description: 'How many sessions were live.' },
    }),
  },
};
