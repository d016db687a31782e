import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';
import { stream } from '../common/openapi/helpers.js';
import { closed, nullable, ref, streamMessage, time } from '../common/openapi/schemas.js';

const QR_STREAM_DESCRIPTION = [
  'A `text/event-stream` that ends with one event:',
  '',
  '| event | data |',
  '|---|---|',
  '| `qr_login` | `QrLoginEvent`: a new session of this browser |',
  '| `qr_expired` | `QrExpiredEvent`: used or expired; ask a new code |',
].join('\n');

const CHECK: SchemaObject = {
  type: 'string',
  pattern: '^[0-9]{2}$',
  example: '47',
  description: 'The two digits the browser page shows; the approval must repeat them.',
};
const QR_DEVICE = {
  user_agent: nullable({ type: 'string', maxLength: 300 }),
  device: { type: 'string', example: 'Chrome on macOS' },
  ip: nullable({ type: 'string' }),
};

export const QR_LOGIN_CONTRACT: ApiContract = {
  operations: {
    'POST /auth/qr': { status: 201, body: 'QrCode', errors: ['please_wait'] },
    'GET /auth/qr/{id}/events': {
      status: 200,
      body: stream('QrLoginMessage', QR_STREAM_DESCRIPTION),
      params: {
        id: { in: 'path', type: 'string', description: 'The `id` from POST /auth/qr.' },
        key: { in: 'query', required: true, type: 'string', description: 'The `key` from POST /auth/qr.' },
      },
    },
    'GET /auth/qr/{id}': {
      status: 200,
      body: 'QrDetails',
      errors: ['invalid_token'],
      params: {
        id: { in: 'path', type: 'string', description: 'The `id` in the scanned `uri`.' },
        key: { in: 'query', required: true, type: 'string', description: 'The `key` in the scanned `uri`.' },
      },
    },
    'POST /auth/qr/{id}/approve': {
      status: 200,
      body: 'Empty',
      errors: ['invalid_token'],
      requestExamples: {
        approve: {
          summary: 'The key from the uri, the number the page shows',
          value: { key: 'q2Lx…', check: '47' },
        },
      },
      params: { id: { in: 'path', type: 'string', description: 'The `id` in the scanned `uri`.' } },
    },
  },
  schemas: {
    QrCode: closed({
      id: { type: 'string', description: 'The QR code id (path of its stream and approval).' },
      key: { type: 'string', description: 'Secret: for the stream (`?key=`) and in `uri` for the phone.' },
      uri: { type: 'string', example: 'unichat://qr-login?id=…&key=…' },
      png: { type: 'string', description: 'A data URL (data:image/png;base64,…) of the QR code of `uri`.' },
      expires_at: time(),
      check: CHECK,
    }),
    QrDetails: {
      ...closed({
        id: { type: 'string' },
        ...QR_DEVICE,
        created_at: time(),
        expires_at: time(),
        check: CHECK,
      }),
      description: 'The browser that asked for the QR code, as the phone sees it before approving.',
    },
    QrLoginEvent: {
      ...closed({
        user: ref('OwnUser'),
        access_token: { type: 'string' },
        token_type: { type: 'string', enum: ['Bearer'] },
        expires_in: { type: 'integer', minimum: 1 },
        approved_by: { ...closed(QR_DEVICE), description: 'The device that approved the code.' },
      }),
      description: '`qr_login`: the QR code was approved; a new session of this browser.',
    },
    QrExpiredEvent: {
      ...closed({
        id: { type: 'string' },
        reason: {
          type: 'string',
          enum: ['expired', 'wrong_check', 'account_disabled'],
          description:
            '`wrong_check`: a phone sent a wrong check number, which voids the code; `account_disabled`: ' +
            'the approving account was disabled by an operator before the browser got its session.',
        },
      }),
      description: '`qr_expired`: the code was used, expired or voided; ask a new one.',
    },
    QrLoginMessage: {
      description:
        'The one message of GET /auth/qr/{id}/events; its `data` is one line of JSON text whose parsed value has the schema named by `x-data-schema`.',
      oneOf: [streamMessage(['qr_login'], 'QrLoginEvent'), streamMessage(['qr_expired'], 'QrExpiredEvent')],
    },
  },
};
