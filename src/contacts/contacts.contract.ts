import type { ApiContract } from '../common/openapi/contract.js';
import { PATH_ID } from '../common/openapi/helpers.js';
import { closed, ID, nullable, ref, time } from '../common/openapi/schemas.js';
import { HINT, USER_STATUS } from '../users/users.contract.js';

export const CONTACTS_CONTRACT: ApiContract = {
  operations: {
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
  },
  schemas: {
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
    ContactAnswer: closed({ user: ref('Contact') }),
    ContactsAnswer: closed({ users: { type: 'array', items: ref('Contact') } }),
    ContactAddedEvent: {
      ...closed({ user: ref('PublicUser') }),
      description: '`contact_added`: someone added me as a contact (their public record).',
    },
  },
};
