import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';
import { ID } from '../common/openapi/schemas.js';
import { SERVICE_KEY_PREFIX, SERVICE_SCOPES } from './service-scopes.js';

const closed = (properties: Record<string, SchemaObject>): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});
const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const time = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
const PATH_ID = { type: 'integer', format: 'int32', minimum: 1, maximum: ID.maximum, example: 2 } as const;
const AUDITED = 'An `audit` log line names the key that did it.';

/** The admin API's service keys: /admin/service-keys, for a service key with the `admin` scope. */
export const SERVICE_KEYS_CONTRACT: ApiContract = {
  operations: {
    'GET /admin/service-keys': {
      status: 200,
      body: 'ServiceKeyList',
      description:
        'Oldest first, revoked keys included. The key itself is never listed: only its hash is kept.',
    },
    'POST /admin/service-keys': {
      status: 201,
      body: 'ServiceKeyCreated',
      description: `The key works at once, on every instance. ${AUDITED}`,
    },
    'POST /admin/service-keys/{id}/revoke': {
      status: 200,
      body: 'ServiceKeyAnswer',
      errors: ['not_found'],
      params: { id: PATH_ID },
      description: `The key is refused (401) at once, on every instance. Revoking a revoked key changes nothing. ${AUDITED}`,
    },
  },
  schemas: {
    ServiceKey: closed({
      id: ID,
      name: { type: 'string', maxLength: 100 },
      scopes: { type: 'array', items: { type: 'string', enum: [...SERVICE_SCOPES] } },
      created_at: time(),
      last_used_at: {
        ...time('When it was last used (to the minute); null before its first call.'),
        nullable: true,
      },
      revoked_at: { ...time('When it was revoked; null while it works.'), nullable: true },
    }),
    ServiceKeyAnswer: closed({ service_key: ref('ServiceKey') }),
    ServiceKeyCreated: closed({
      service_key: ref('ServiceKey'),
      key: {
        type: 'string',
        pattern: `^${SERVICE_KEY_PREFIX}[A-Za-z0-9_-]{43}$`,
        description: 'The key (`Authorization: Bearer usk_…`), answered only now: keep it.',
      },
    }),
    ServiceKeyList: closed({ service_keys: { type: 'array', items: ref('ServiceKey') } }),
  },
};
