import type { ApiContract } from '../common/openapi/contract.js';
import { closed } from '../common/openapi/schemas.js';

export const HEALTH_CONTRACT: ApiContract = {
  operations: {
    'GET /health': { status: 200, body: 'Health' },
    'GET /health/ready': {
      status: 200,
      body: 'Readiness',
      errors: ['unavailable'],
      description:
        'Answers `503 unavailable` (the error envelope) while the database or Redis does not answer.',
    },
  },
  schemas: {
    Health: closed({ status: { type: 'string', enum: ['ok'] } }),
    Readiness: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ok', 'error'] },
        info: { type: 'object', additionalProperties: { type: 'object' } },
        error: { type: 'object', additionalProperties: { type: 'object' } },
        details: { type: 'object', additionalProperties: { type: 'object' } },
      },
      description: 'The state of the database and Redis (terminus health check).',
    },
  },
};
