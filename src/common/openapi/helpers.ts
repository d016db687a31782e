import type { SchemaObject } from '@nestjs/swagger';
import type { OperationContract, ParameterSpec } from './contract.js';
import { ID } from './schemas.js';

// Pieces several features' contracts are written with.

/** A user, session… id in the path (or, spread with `in: 'query'`, in the query). */
export const PATH_ID: ParameterSpec = {
  type: 'integer',
  format: 'int32',
  minimum: 1,
  maximum: ID.maximum,
  example: 290,
  description: 'A positive integer (decimal digits only).',
};

/**
 * `ids` in the query: 1 to `most` ids separated by commas, each written as an id in the path is.
 * The pattern cannot say the largest id, the description does.
 */
export const idListInQuery = (most: number): ParameterSpec => ({
  in: 'query',
  type: 'string',
  pattern: `^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9}){0,${most - 1}}$`,
  example: '12,7,290',
  description: `1 to ${most} user ids separated by commas, each from 1 to ${ID.maximum} in decimal digits without leading zeros; an id sent twice answers once.`,
});

/** The arguments of an RPC method that takes none (`{}` or no body): any field is `invalid_params`. */
export class NoArgumentsDto {}
export const NO_ARGUMENTS = NoArgumentsDto;

/**
 * A record answered with a weak `ETag` and `Cache-Control: private, no-cache`; `If-None-Match`
 * with that tag answers 304 with no body while nothing the caller sees of it changed.
 */
export const CONDITIONAL = {
  alsoStatus: {
    304: 'Not modified: nothing the caller sees changed since the `ETag` sent in `If-None-Match`.',
  },
  headers: {
    ETag: {
      description:
        'A weak tag of the record as the caller sees it: it changes with every visible change, presence and blocks included.',
      schema: { type: 'string', example: 'W/"mV0f2pQ6Zr1Yc3b8Xk4aTw"' },
    },
  },
  params: {
    'If-None-Match': {
      in: 'header',
      type: 'string',
      description: 'The `ETag` of the answer the caller holds: 304 while it is current.',
    },
  },
} satisfies Pick<OperationContract, 'alsoStatus' | 'headers' | 'params'>;

/** A `text/event-stream` answer whose messages are the named schema. */
export const stream = (message: string, description: string): OperationContract['body'] => ({
  contentType: 'text/event-stream',
  schema: { $ref: `#/components/schemas/${message}` } as SchemaObject,
  description,
});
