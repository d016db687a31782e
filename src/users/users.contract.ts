import type { SchemaObject } from '@nestjs/swagger';
import { UserIdDto } from '../common/user-id.dto.js';
import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { CONDITIONAL, idListInQuery, PATH_ID } from '../common/openapi/helpers.js';
import { closed, ID, nullable, ref, time } from '../common/openapi/schemas.js';
import { MAX_IDS_PER_LOOKUP, UserIdsDto } from './dto/users-query.dto.js';

/** The statuses a user sets (`invisible` shows as none to others). */
export const USER_STATUS = ['away', 'busy', 'do_not_disturb'];
/** The last-seen hint given instead of the exact time when last-seen privacy withholds it. */
export const HINT: SchemaObject = nullable({
  type: 'string',
  enum: ['recently', 'within_week', 'within_month', 'long_ago'],
  description:
    'Set instead of the exact last seen and online state when last-seen privacy withholds them; null otherwise.',
});

export const USERS_RPC = {
  get_user: { rest: 'GET /users/:id', access: 'public', dto: UserIdDto },
  get_users: { rest: 'GET /users', access: 'confirmed', dto: UserIdsDto },
} satisfies Record<string, RpcMethodContract>;

export const USERS_CONTRACT: ApiContract = {
  operations: {
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
      exactlyOneOf: ['ids', 'nick'],
      params: {
        ids: idListInQuery(MAX_IDS_PER_LOOKUP),
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
  },
  schemas: {
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
    UserAnswer: closed({ user: ref('OwnUser') }),
    PublicUserAnswer: closed({ user: ref('PublicUser') }),
    PublicUsersAnswer: closed({ users: { type: 'array', items: ref('PublicUser') } }),
    UserUpdatedEvent: {
      ...closed({ user: { oneOf: [ref('OwnUser'), ref('PublicUser')] } }),
      description: '`user_updated`: the own record to the user, the public record to their friends.',
    },
  },
  rpcMethods: USERS_RPC,
};
