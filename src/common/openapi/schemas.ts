import type { SchemaObject } from '@nestjs/swagger';
import { MAX_ID } from '../ids.js';

/**
 * The schemas several features share (the error envelope, `Empty`, ids) and the helpers a
 * feature's contract writes its own with. Every object is closed (`additionalProperties: false`):
 * the e2e suite validates each response against the document, so a field it does not name fails.
 */

export const closed = (
  properties: Record<string, SchemaObject>,
  required = Object.keys(properties),
): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
/** A reference to a named schema of the document (shared or any feature's). */
export const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
export const time = (description?: string): SchemaObject => ({
  type: 'string',
  format: 'date-time',
  description,
});
// An enum that may be null lists null too (OpenAPI 3.0: `nullable` does not widen an `enum`).
export const nullable = (schema: SchemaObject): SchemaObject => ({
  ...schema,
  nullable: true,
  ...(schema.enum ? { enum: [...schema.enum, null] } : {}),
});

/** The extension naming the schema of the JSON a stream message's `data` line carries. */
export const DATA_SCHEMA_EXTENSION = 'x-data-schema';

/**
 * One message of an event stream carrying one of `events`. On the wire `data:` is one line of
 * JSON text: the schema says so (a string of `application/json`) and names the schema of the
 * parsed value, which the components hold.
 */
export function streamMessage(events: string[], data: string): SchemaObject {
  return closed(
    {
      id: { type: 'string', description: 'Absent on QR streams.' },
      event: { type: 'string', enum: events },
      data: {
        type: 'string',
        'x-content-media-type': 'application/json',
        [DATA_SCHEMA_EXTENSION]: ref(data),
        description: `One line of JSON; parsed, a \`${data}\`.`,
      } as SchemaObject,
    },
    ['event', 'data'],
  );
}

export const ID: SchemaObject = {
  type: 'integer',
  format: 'int32',
  minimum: 1,
  maximum: MAX_ID,
  example: 290,
};

export const SHARED_SCHEMAS = {
  Error: {
    ...closed({
      error: closed(
        {
          code: { type: 'string', description: 'One of the codes listed in the response.' },
          text: { type: 'string', description: 'For people; may change. Programs read `code`.' },
          retry_after: {
            type: 'integer',
            minimum: 0,
            description: '429 only: seconds until the call may be tried again (also `Retry-After`).',
          },
          request_id: { type: 'string', description: '5xx only: quote it when reporting the failure.' },
          mfa_token: {
            type: 'string',
            description:
              '`mfa_required` only: send it with a code to `POST /auth/login/mfa` within 5 minutes (single use).',
          },
        },
        ['code', 'text'],
      ),
    }),
    description: 'Every failure: the HTTP status plus this envelope.',
  },
  Empty: { type: 'object', additionalProperties: false, properties: {}, description: 'Done.' },
  ResultTrue: closed({ result: { type: 'boolean', enum: [true] } }),
} satisfies Record<string, SchemaObject>;
