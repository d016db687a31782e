import { UserIdDto } from '../common/user-id.dto.js';
import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { NO_ARGUMENTS, PATH_ID } from '../common/openapi/helpers.js';
import { closed, ID } from '../common/openapi/schemas.js';

export const BLOCKING_RPC = {
  block_user: { rest: 'POST /blocks', access: 'confirmed', dto: UserIdDto },
  unblock_user: { rest: 'DELETE /blocks/:user_id', access: 'confirmed', dto: UserIdDto },
  get_blocked_users: { rest: 'GET /blocks', access: 'confirmed', dto: NO_ARGUMENTS },
  get_users_who_blocked_me: { rest: 'GET /blocks/blockers', access: 'confirmed', dto: NO_ARGUMENTS },
} satisfies Record<string, RpcMethodContract>;

export const BLOCKING_CONTRACT: ApiContract = {
  operations: {
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
  },
  schemas: {
    BlockEvent: {
      ...closed({ user_id: ID }),
      description: '`blocked` / `unblocked`: to both sides; `user_id` is the other one.',
    },
  },
  rpcMethods: BLOCKING_RPC,
};
