import { CREDENTIALS_EXAMPLES, CREDENTIALS_SCHEMA } from '../auth/auth.contract.js';
import type { ApiContract } from '../common/openapi/contract.js';
import { PATH_ID } from '../common/openapi/helpers.js';
import { closed, ID, nullable, ref, time } from '../common/openapi/schemas.js';

export const SESSIONS_CONTRACT: ApiContract = {
  operations: {
    'POST /tokens': {
      status: 200,
      body: 'AccessToken',
      errors: ['auth_failed', 'mfa_required', 'invalid_mfa_code', 'account_disabled', 'please_wait'],
      description:
        'With two-step login on, a right password answers `401 mfa_required` with an `mfa_token`, as `POST /auth/login` does, unless its code came with it (`code`).',
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
  },
  schemas: {
    AccessToken: closed({
      access_token: {
        type: 'string',
        description: 'A JWT: send it as `Authorization: Bearer <access_token>`.',
      },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer', minimum: 1, description: 'Seconds (ACCESS_TOKEN_TTL).' },
    }),
    Session: closed({
      id: ID,
      created_at: time(),
      last_used_at: time(),
      user_agent: nullable({ type: 'string' }),
      ip: nullable({ type: 'string' }),
      current: { type: 'boolean', description: 'The session of the calling access token.' },
    }),
    SessionsAnswer: closed({ sessions: { type: 'array', items: ref('Session') } }),
  },
};
