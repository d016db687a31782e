import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';
import { ID } from '../common/openapi/schemas.js';
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES } from './webhook-events.js';

const closed = (
  properties: Record<string, SchemaObject>,
  required = Object.keys(properties),
): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const time = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
const nullableTime = (description: string): SchemaObject => ({ ...time(description), nullable: true });
const PATH_ID = { type: 'integer', format: 'int32', minimum: 1, maximum: ID.maximum, example: 3 } as const;
const SECRET: SchemaObject = {
  type: 'string',
  pattern: '^whsec_[A-Za-z0-9+/]+=*$',
  description:
    'The signing secret (Standard Webhooks), answered only now: keep it. Verify deliveries with it, e.g. `new Webhook(secret).verify(body, headers)` of the `standardwebhooks` package.',
};

const DELIVERIES_DESCRIPTION = [
  'Each delivery is a `POST` of `{type, timestamp, data}` with the headers `webhook-id` (the same on',
  'every try), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>`; two,',
  'space-separated, for 24 hours after a rotation). A 2xx answer within 10 s is delivered; 410',
  'disables the endpoint; anything else is tried again after about 5 s, 5 min, 30 min, 2 h, 5 h,',
  '10 h and 10 h, and an endpoint that failed every try for 5 days is disabled.',
].join(' ');

const AUDITED = 'An `audit` log line names the key that did it.';

export const WEBHOOKS_CONTRACT: ApiContract = {
  operations: {
    'POST /admin/webhooks': {
      status: 201,
      body: 'WebhookEndpointCreated',
      description: `${DELIVERIES_DESCRIPTION} ${AUDITED}`,
    },
    'GET /admin/webhooks': { status: 200, body: 'WebhookEndpointList' },
    'GET /admin/webhooks/{id}': {
      status: 200,
      body: 'WebhookEndpointAnswer',
      errors: ['not_found'],
      params: { id: PATH_ID },
    },
    'PATCH /admin/webhooks/{id}': {
      status: 200,
      body: 'WebhookEndpointAnswer',
      errors: ['not_found'],
      params: { id: PATH_ID },
      description: AUDITED,
    },
    'DELETE /admin/webhooks/{id}': {
      status: 200,
      body: 'Empty',
      errors: ['not_found'],
      params: { id: PATH_ID },
      description: AUDITED,
    },
    'POST /admin/webhooks/{id}/rotate-secret': {
      status: 200,
      body: 'WebhookEndpointCreated',
      errors: ['not_found'],
      params: { id: PATH_ID },
      description: `The previous secret also signs for 24 hours. ${AUDITED}`,
    },
    'POST /admin/webhooks/{id}/test': {
      status: 202,
      body: 'WebhookDeliveryAnswer',
      errors: ['not_found'],
      params: { id: PATH_ID },
      description: `Queues a \`${TEST_EVENT_TYPE}\` event with \`data: {endpoint_id}\` for this endpoint alone; a disabled endpoint is \`invalid_params\`. ${AUDITED}`,
    },
    'GET /admin/webhooks/{id}/deliveries': {
      status: 200,
      body: 'WebhookDeliveryList',
      errors: ['not_found'],
      params: {
        id: PATH_ID,
        limit: {
          in: 'query',
          type: 'integer',
          minimum: 1,
          maximum: 100,
          default: 50,
          description: 'Deliveries listed, newest first.',
        },
      },
    },
  },
  schemas: {
    WebhookEndpoint: closed({
      id: ID,
      url: { type: 'string', format: 'uri' },
      description: { type: 'string', maxLength: 200 },
      event_types: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] } },
      enabled: { type: 'boolean' },
      disabled_reason: {
        type: 'string',
        enum: ['operator', 'gone', 'failing', null],
        nullable: true,
        description: '`gone`: the endpoint answered 410; `failing`: every try failed for 5 days.',
      },
      disabled_at: nullableTime('When it was disabled.'),
      failing_since: nullableTime('Since when every try has failed (a success clears it).'),
      previous_secret_expires_at: nullableTime(
        'Until when the secret before the last rotation also signs (two signatures).',
      ),
      created_at: time(),
      updated_at: time(),
    }),
    WebhookEndpointAnswer: closed({ endpoint: ref('WebhookEndpoint') }),
    WebhookEndpointCreated: closed({ endpoint: ref('WebhookEndpoint'), secret: SECRET }),
    WebhookEndpointList: closed({ endpoints: { type: 'array', items: ref('WebhookEndpoint') } }),
    WebhookDelivery: closed({
      id: ID,
      message_id: { type: 'string', description: 'The `webhook-id` header of every try.' },
      event_type: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES, TEST_EVENT_TYPE] },
      status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
      attempts: { type: 'integer', minimum: 0 },
      last_status_code: { type: 'integer', nullable: true, description: 'The last answer; null: none.' },
      last_error: { type: 'string', nullable: true },
      created_at: time(),
      last_attempt_at: nullableTime('When it was last tried.'),
      next_attempt_at: nullableTime('When it is tried next, while pending.'),
      delivered_at: nullableTime('When the endpoint took it.'),
    }),
    WebhookDeliveryAnswer: closed({ delivery: ref('WebhookDelivery') }),
    WebhookDeliveryList: closed({ deliveries: { type: 'array', items: ref('WebhookDelivery') } }),
  },
};
