import type { ApiContract } from '../common/openapi/contract.js';

export const AVATARS_CONTRACT: ApiContract = {
  operations: {
    'GET /avatars/{key}': {
      status: 200,
      body: {
        contentType: 'image/webp',
        schema: { type: 'string', format: 'binary' },
        description: 'The image; `ETag` and a year of `Cache-Control: immutable`.',
      },
      alsoStatus: { 304: 'Not modified (`If-None-Match` names its ETag).' },
      errors: ['not_found'],
      params: { key: { in: 'path', type: 'string', description: 'From an avatar URL of a record.' } },
    },
  },
};
