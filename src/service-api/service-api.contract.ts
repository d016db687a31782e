import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';
import { idListInQuery } from '../common/openapi/helpers.js';
import { ID } from '../common/openapi/schemas.js';
import { USERS_CONTRACT } from '../users/users.contract.js';
import { MAX_PER_SERVICE_CALL } from './dto/relations.dto.js';

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const publicUser = USERS_CONTRACT.schemas!.PublicUser;
const PAIR: SchemaObject = { type: 'array', items: ID, minItems: 2, maxItems: 2, example: [12, 290] };

/** The routes other backends call with a service key. */
export const SERVICE_API_CONTRACT: ApiContract = {
  operations: {
    'POST /service/introspect': {
      status: 200,
      body: 'Introspection',
      description:
        'Never an error for the token itself: a bad, expired or revoked token (its session ended, on any instance) answers `{"active": false}`, as RFC 7662 says. Checks the session in the database at each call; to check a token without a call, verify it with `/.well-known/jwks.json`.',
    },
    'POST /service/relations': {
      status: 200,
      body: 'RelationsAnswer',
      description:
        "`can_message` is false when either side blocked the other, or either user does not exist (deleted) or is disabled. `contact`: `to` is among `from`'s contacts; `friends`: both added each other and no block stands between them.",
      requestSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['pairs'],
        properties: {
          pairs: {
            type: 'array',
            minItems: 1,
            maxItems: MAX_PER_SERVICE_CALL,
            items: PAIR,
            description: `Up to ${MAX_PER_SERVICE_CALL} pairs [from, to] of user ids.`,
          },
        },
      },
    },
    'GET /service/users': {
      status: 200,
      body: 'ServiceUsersAnswer',
      description:
        'Users that do not exist (or were deleted) are left out; the others come in the order asked.',
      params: {
        ids: { ...idListInQuery(MAX_PER_SERVICE_CALL), required: true },
      },
    },
  },
  schemas: {
    Introspection: {
      description: 'Whether the token is live (RFC 7662); when it is, whose and until when.',
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['active', 'user_id', 'session_id', 'expires_at'],
          properties: {
            active: { type: 'boolean', enum: [true] },
            user_id: ID,
            session_id: ID,
            expires_at: { type: 'string', format: 'date-time', description: 'The token’s `exp`.' },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['active'],
          properties: { active: { type: 'boolean', enum: [false] } },
        },
      ],
    },
    Relation: {
      type: 'object',
      additionalProperties: false,
      required: ['from', 'to', 'can_message', 'blocked_by_from', 'blocked_by_to', 'contact', 'friends'],
      properties: {
        from: ID,
        to: ID,
        can_message: { type: 'boolean', description: '`from` may write to `to`.' },
        blocked_by_from: { type: 'boolean' },
        blocked_by_to: { type: 'boolean' },
        contact: { type: 'boolean' },
        friends: { type: 'boolean' },
      },
    },
    RelationsAnswer: {
      type: 'object',
      additionalProperties: false,
      required: ['relations'],
      properties: { relations: { type: 'array', items: ref('Relation') } },
      description: 'One relation per pair, in the order asked.',
    },
    ServiceUser: {
      type: 'object',
      additionalProperties: false,
      required: [...(publicUser.required ?? []), 'confirmed', 'disabled'],
      properties: {
        ...publicUser.properties,
        confirmed: { type: 'boolean', description: 'The email address is confirmed.' },
        disabled: { type: 'boolean', description: 'An operator disabled the account.' },
      },
      description: 'A public record as an anonymous caller sees it, plus the account state.',
    },
    ServiceUsersAnswer: {
      type: 'object',
      additionalProperties: false,
      required: ['users'],
      properties: { users: { type: 'array', items: ref('ServiceUser') } },
    },
  },
};
