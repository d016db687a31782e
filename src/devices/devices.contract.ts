import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract } from '../common/openapi/contract.js';

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const closed = (properties: Record<string, SchemaObject>): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});

const WEB_PUSH_EXAMPLE = JSON.stringify({
  endpoint: 'https://fcm.googleapis.com/fcm/send/cXa9r2Lx…',
  expirationTime: null,
  keys: {
    p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
    auth: 'tBHItJI5svbpez7KI4CCXg',
  },
});

/** Devices that receive pushes (iPhones, Android phones, browsers) and the VAPID key browsers subscribe with. */
export const DEVICES_CONTRACT: ApiContract = {
  operations: {
    'POST /devices': {
      status: 201,
      body: 'DeviceAnswer',
      alsoStatus: { 200: 'The device was already mine (nothing created).' },
      errors: ['invalid_notification_service'],
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
          value: { token: 'cXa9r2Lx:APA91bH…', notification_service: 'android_app' },
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
          description: "A phone's token as registered, or a browser's push endpoint (percent-encoded).",
        },
      },
    },
    'POST /devices/test-push': { status: 200, body: 'TestPushAnswer', errors: ['please_wait'] },
    'GET /push/vapid-public-key': { status: 200, body: 'VapidPublicKeyAnswer' },
  },
  schemas: {
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
};
