import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { CONDITIONAL, NO_ARGUMENTS } from '../common/openapi/helpers.js';
import { UpdateMeDto } from './dto/update-me.dto.js';

export const PROFILE_RPC = {
  update_me: { rest: 'PATCH /me', access: 'user', dto: UpdateMeDto },
  me: { rest: 'GET /me', access: 'user', dto: NO_ARGUMENTS },
} satisfies Record<string, RpcMethodContract>;

export const PROFILE_CONTRACT: ApiContract = {
  operations: {
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
    'PUT /me/avatar': {
      status: 200,
      body: 'UserAnswer',
      errors: ['invalid_avatar'],
      tooLarge: ['invalid_avatar'],
    },
    'DELETE /me/avatar': { status: 200, body: 'UserAnswer' },
  },
  rpcMethods: PROFILE_RPC,
};
