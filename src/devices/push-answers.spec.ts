import { createECDH, randomBytes } from 'node:crypto';
import { judgeFcmAnswer } from './fcm-answers.js';
import { fcmMessage } from './fcm.provider.js';
import { pushMessages } from './push-messages.js';
import { parseWebPushSubscription } from './web-push-subscription.js';
import { checkedLookup, judgeWebPushAnswer, webPushPayload, webPushTopic } from './web-push.provider.js';

const fcmError = (status: string, errorCode: string, message = '', field?: string) => ({
  status,
  message,
  details: [
    { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode },
    ...(field
      ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field }] }]
      : []),
  ],
});

describe('FCM answers', () => {
  it.each([
    [200, null, 'accepted'],
    [404, fcmError('NOT_FOUND', 'UNREGISTERED'), 'dead_token'],
    [
      400,
      fcmError(
        'INVALID_ARGUMENT',
        'INVALID_ARGUMENT',
        'The registration token is not a valid FCM registration token',
      ),
      'dead_token',
    ],
    [400, fcmError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'Invalid value', 'message.token'), 'dead_token'],
    [
      400,
      fcmError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'Invalid value', 'message.android.ttl'),
      'refused',
    ],
    [429, fcmError('RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), 'retry'],
    [500, fcmError('INTERNAL', 'INTERNAL'), 'retry'],
    [503, null, 'retry'],
    [401, { status: 'UNAUTHENTICATED' }, 'bad_key'],
    [403, fcmError('PERMISSION_DENIED', 'THIRD_PARTY_AUTH_ERROR'), 'bad_key'],
    [403, fcmError('PERMISSION_DENIED', 'SENDER_ID_MISMATCH'), 'refused'],
  ])('treats %i %o as %s', (status, error, verdict) => {
    expect(judgeFcmAnswer(status, error)).toBe(verdict);
  });

  it('carries the collapse id as android.collapse_key, and the event as string data', () => {
    const message = { ...pushMessages.contactAdded({ id: 42, nick: 'Annabel' }) };
    expect(fcmMessage(message, 'tok:en')).toEqual({
      message: {
        token: 'tok:en',
        notification: { title: 'New contact', body: 'Annabel added you as a contact.' },
        data: { event: 'contact_added', user_id: '42' },
        android: { collapse_key: 'contact_added:42', priority: 'high', ttl: '86400s' },
      },
    });
  });
});

describe('Web Push', () => {
  it.each([
    [201, 'accepted'],
    [404, 'dead_token'],
    [410, 'dead_token'],
    [429, 'retry'],
    [502, 'retry'],
    [403, 'bad_key'],
    [413, 'refused'],
  ])('treats %i as %s', (status, verdict) => {
    expect(judgeWebPushAnswer(status)).toBe(verdict);
  });

  it('makes a Topic of at most 32 base64url characters from any collapse id, the same for the same id', () => {
    const topic = webPushTopic('contact_added:42');
    expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(webPushTopic('contact_added:42')).toBe(topic);
    expect(webPushTopic('contact_added:43')).not.toBe(topic);
  });

  it('sends the alert, its tag and the unichat event to the service worker', () => {
    expect(JSON.parse(webPushPayload(pushMessages.contactAdded({ id: 42, nick: 'Annabel' })))).toEqual({
      title: 'New contact',
      body: 'Annabel added you as a contact.',
      tag: 'contact_added:42',
      unichat: { event: 'contact_added', user_id: 42 },
    });
  });

  describe('subscriptions', () => {
    const browserKeys = () => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      return { p256dh: ecdh.getPublicKey('base64url'), auth: randomBytes(16).toString('base64url') };
    };

    it('keeps the subscription as JSON with its fields in one order, whatever order the browser gave', () => {
      const keys = browserKeys();
      const parsed = parseWebPushSubscription(
        JSON.stringify({
          keys: { auth: keys.auth, p256dh: keys.p256dh },
          endpoint: 'https://push.example/s/1',
        }),
        false,
      );
      expect(parsed).toEqual({
        token: JSON.stringify({ endpoint: 'https://push.example/s/1', expirationTime: null, keys }),
        subscription: { endpoint: 'https://push.example/s/1', expirationTime: null, keys },
      });
    });

    it.each([
      ['https://192.168.1.4/s/1', false, /not a private/],
      ['https://169.254.169.254/latest', false, /not a private/],
      ['https://127.0.0.1:8443/s/1', false, /not a private/],
      ['https://user:pw@push.example/s/1', false, /holds no credentials/],
      ['http://push.example/s/1', false, /is https:\/\//],
      ['ftp://push.example/s/1', true, /is https:\/\//],
    ])('refuses the endpoint %s (private allowed: %s)', (endpoint, allowPrivate, text) => {
      const parsed = parseWebPushSubscription(
        JSON.stringify({ endpoint, keys: browserKeys() }),
        allowPrivate,
      );
      expect(parsed).toEqual({ refused: expect.stringMatching(text) });
    });

    it('accepts a private https or http endpoint when told to (tests)', () => {
      for (const endpoint of ['https://127.0.0.1:8443/s/1', 'http://10.0.0.2/s/1']) {
        expect(
          parseWebPushSubscription(JSON.stringify({ endpoint, keys: browserKeys() }), true),
        ).toHaveProperty('token');
      }
    });
  });

  describe('connecting to a push service', () => {
    const resolve = (allowPrivate: boolean, host: string) =>
      new Promise<{ error: (Error & { refusal?: string }) | null; address: unknown }>((done) =>
        checkedLookup(allowPrivate)(host, {}, (error, address) => done({ error, address })),
      );

    it('refuses a host name that resolves to a private or loopback address (checked on what is connected to)', async () => {
      const { error } = await resolve(false, 'localhost');
      expect(error?.refusal).toBe('the endpoint leads to a private or reserved address');
    });

    it('connects to it when private addresses are allowed (tests)', async () => {
      const { error, address } = await resolve(true, 'localhost');
      expect(error).toBeNull();
      expect(['127.0.0.1', '::1']).toContain(address);
    });
  });
});
