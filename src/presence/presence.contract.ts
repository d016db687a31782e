import { UserIdDto } from '../common/user-id.dto.js';
import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { PATH_ID } from '../common/openapi/helpers.js';
import { closed, ID, nullable, time } from '../common/openapi/schemas.js';
import { HINT, USER_STATUS } from '../users/users.contract.js';
import { SetStatusDto } from './dto/status.dto.js';

export const PRESENCE_RPC = {
  set_status: { rest: 'PUT /me/status', access: 'user', dto: SetStatusDto },
  get_last_seen: { rest: 'GET /users/:id/last-seen', access: 'public', dto: UserIdDto },
} satisfies Record<string, RpcMethodContract>;

export const PRESENCE_CONTRACT: ApiContract = {
  operations: {
    'PUT /me/status': { status: 200, body: 'UserAnswer', errors: ['invalid_user_status'] },
    'GET /users/{id}/last-seen': {
      status: 200,
      body: 'LastSeen',
      errors: ['not_found'],
      optionalCaller: true,
      params: { id: PATH_ID },
    },
  },
  schemas: {
    LastSeen: closed({
      user_id: ID,
      is_online: { type: 'boolean' },
      last_seen_at: nullable(time()),
      seconds_ago: nullable({ type: 'integer', minimum: 0 }),
      last_seen_hint: HINT,
    }),
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
  },
  rpcMethods: PRESENCE_RPC,
};
