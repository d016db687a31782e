import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { closed, ID, ref, time } from '../common/openapi/schemas.js';
import {
  ANY_TOKEN_PATTERN,
  APNS_TOKEN_PATTERN,
  FCM_TOKEN_PATTERN,
  MAX_TOKEN_LENGTH,
} from './device-token.js';
import { RegisterDeviceDto } from './dto/register-device.dto.js';

const WEB_PUSH_EXAMPLE = JSON.stringify({
  endpoint: 'https://fcm.googleapis.com/fcm/send/cXa9r2Lx…',
  expirationTime: null,
  keys: {
    p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
    auth: 'tBHItJI5svbpez7KI4CCXg',
  },
});

const APNS_EXAMPLE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const FCM_EXAMPLE = 'cXa9r2Lx:APA91bHexampleRegistrationToken_42';

/** A device of one push service: its token's rule stated for that service. */
const registration = (service: string, token: SchemaObject): SchemaObject =>
  closed({ token, notification_service: { type: 'string', enum: [service] } });

/** What `POST /devices` takes: the token's rule depends on the push service. */
const REGISTRATION_SCHEMA: SchemaObject = {
  description: 'A device: its push service and its token, as that service gives it.',
  oneOf: [
    registration('ios_app', {
      type: 'string',
      pattern: APNS_TOKEN_PATTERN,
      example: APNS_EXAMPLE,
      description: 'The APNs device token as hex: an even number of hexadecimal digits, 64 to 200.',
    }),
    registration('android_app', {
      type: 'string',
      pattern: FCM_TOKEN_PATTERN,
      example: FCM_EXAMPLE,
      description: 'The FCM registration token: 20 to 1000 letters, digits, `_`, `-`, `:` or `.`.',
    }),
    registration('web_push', {
      type: 'string',
      maxLength: MAX_TOKEN_LENGTH,
      pattern: '^\\s*\\{[\\s\\S]*\\}\\s*$',
      example: WEB_PUSH_EXAMPLE,
      description:
        "The browser's `JSON.stringify(subscription.toJSON())`: an `https://` endpoint that is not a private address, `keys.p256dh` a 65-byte uncompressed P-256 key and `keys.auth` 16 bytes, base64url.",
    }),
  ],
};

export const DEVICES_RPC = {
  devise_token: {
    rest: 'POST /devices',
    access: 'confirmed',
    dto: RegisterDeviceDto,
    result: {
      description: 'The device (named `user_devise`, as the seed does).',
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['user_devise'],
        properties: { user_devise: ref('Device') },
      },
    },
  },
  remove_devise_token: { rest: 'DELETE /devices/:token', access: 'confirmed', dto: RegisterDeviceDto },
} satisfies Record<string, RpcMethodContract>;

/** Devices that receive pushes (iPhones, Android phones, browsers) and the VAPID key browsers subscribe with. */
export const DEVICES_CONTRACT: ApiContract = {
  operations: {
    'POST /devices': {
      status: 201,
      body: 'DeviceAnswer',
      alsoStatus: { 200: 'The device was already mine (nothing created).' },
      errors: ['invalid_notification_service'],
      requestSchema: REGISTRATION_SCHEMA,
      description:
        '`notification_service` is `ios_app` (token: the APNs device token as hex), `android_app` (the FCM ' +
        "registration token) or `web_push` (the browser's `JSON.stringify(subscription.toJSON())`: an `https://` " +
        'endpoint that is not a private address, `keys.p256dh` a 65-byte uncompressed P-256 key and `keys.auth` 16 ' +
        'bytes, base64url). A device another user holds moves to me; a browser registered again with new keys is ' +
        'the same device.',
      requestExamples: {
        ios: { summary: 'An iPhone', value: { token: 'a1b2'.repeat(16), notification_service: 'ios_app' } },
        android: {
          summary: 'An Android phone',
          value: { token: FCM_EXAMPLE, notification_service: 'android_app' },
        },
        browser: {
          summary: 'A browser',
          value: { token: WEB_PUSH_EXAMPLE, notification_service: 'web_push' },
        },
      },
    },
    'GET /devices': { status: 200, body: 'DevicesAnswer' },
    'DELETE /devices/{token}': {
      status: 200,
      body: 'ResultTrue',
      errors: ['not_found'],
      params: {
        token: {
          type: 'string',
          minLength: 1,
          maxLength: 1000,
          pattern: ANY_TOKEN_PATTERN,
          example: APNS_EXAMPLE,
          description: "A phone's token as registered, or a browser's push endpoint (percent-encoded).",
        },
      },
    },
    'POST /devices/test-push': { status: 200, body: 'TestPushAnswer', errors: ['please_wait'] },
    'GET /push/vapid-public-key': { status: 200, body: 'VapidPublicKeyAnswer' },
  },
  schemas: {
    Device: closed({
      id: ID,
      token: {
        type: 'string',
        minLength: 1,
        maxLength: 1000,
        description:
          "As registered: an APNs token (lower-case hex), an FCM registration token, or a browser's push subscription (JSON).",
      },
      notification_service: { type: 'string', enum: ['ios_app', 'android_app', 'web_push'] },
      created_at: time(),
      registered_at: time('When it was last registered (by me).'),
    }),
    DeviceAnswer: closed({ device: ref('Device') }),
    DevicesAnswer: closed({ devices: { type: 'array', items: ref('Device') } }),
    TestPushAnswer: closed({
      devices: {
        type: 'integer',
        minimum: 0,
        description: 'My devices a test push was sent to (those of a push service that is on).',
      },
      accepted: { type: 'integer', minimum: 0, description: 'How many of them their push service accepted.' },
    }),
    VapidPublicKeyAnswer: closed({
      public_key: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{87}$',
        description:
          "The VAPID public key (65 bytes, base64url): PushManager.subscribe's applicationServerKey.",
      },
    }),
  },
  rpcMethods: DEVICES_RPC,
};
