import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '../src/bus/event-bus.service.js';
import { PushService } from '../src/devices/push.service.js';
import { Metrics } from '../src/metrics/metrics.service.js';
import { type ApnsEmulator, startApnsEmulator } from './support/apns-emulator.js';
import { type FcmEmulator, startFcmEmulator } from './support/fcm-emulator.js';
import { openStream } from './support/friends.js';
import {
  anotherSession,
  createTestEnvironment,
  createUser,
  startApp,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { captureLogs } from './support/logs.js';
import { type PushServiceEmulator, startPushService } from './support/push-service.js';
import type { SseClient } from './support/sse-client.js';

const fcmToken = () =>
  `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
const apnsToken = () => randomBytes(32).toString('hex');

describe('pushes to Android phones and browsers', () => {
  let apns: ApnsEmulator;
  let fcm: FcmEmulator;
  let pushService: PushServiceEmulator;
  let environment: TestEnvironment;
  let t: TestApp;
  let vapidKey: string;
  const streams: SseClient[] = [];
  const logs = captureLogs();
  /** Every FCM token and push endpoint registered here: none may be logged whole. */
  const secrets: string[] = [];

  beforeAll(async () => {
    [apns, fcm, pushService] = await Promise.all([
      startApnsEmulator(),
      startFcmEmulator(),
      startPushService(),
    ]);
    environment = await createTestEnvironment({
      ...apns.vars,
      ...fcm.vars,
      ...pushService.vars,
      PUSH_STREAM_GRACE_SECONDS: '1',
    });
    t = await startApp(environment);
    vapidKey = (await t.http().get('/api/v1/push/vapid-public-key').expect(200)).body.public_key;
    pushService.expectVapidKey(vapidKey);
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t?.close();
    await environment?.dispose();
    await Promise.all([apns?.close(), fcm?.close(), pushService?.close()]);
    logs.restore();
  });

  const settled = async () => {
    await t.app.get(EventBus).drain();
    await t.app.get(PushService).idle();
  };
  const register = (user: TestUser, token: string, service: string) =>
    t.http().post('/api/v1/devices').set(user.auth).send({ token, notification_service: service });
  // Each helper registers a device once the pushes of the user's logins so far were handled:
  // a new_login push still under way must not reach it.
  const android = async (user: TestUser) => {
    await settled();
    const token = fcmToken();
    secrets.push(token);
    await register(user, token, 'android_app').expect(201);
    return token;
  };
  const browser = async (user: TestUser) => {
    await settled();
    const subscription = pushService.subscribe();
    secrets.push(subscription.id, subscription.json.keys.auth);
    await register(user, subscription.token, 'web_push').expect(201);
    return subscription;
  };
  const iphone = async (user: TestUser) => {
    await settled();
    const token = apnsToken();
    await register(user, token, 'ios_app').expect(201);
    return token;
  };
  const devices = async (user: TestUser): Promise<{ token: string; notification_service: string }[]> =>
    (await t.http().get('/api/v1/devices').set(user.auth).expect(200)).body.devices;
  const add = (adder: TestUser, added: TestUser) =>
    t.http().post('/api/v1/contacts').set(adder.auth).send({ user_id: added.id }).expect(200);
  const topicOf = (collapseId: string) =>
    createHash('sha256').update(collapseId).digest('base64url').slice(0, 32);

  describe('the VAPID key', () => {
    it('is published to anyone, and is kept in DATA_DIR readable by the owner only', async () => {
      const answer = await t.http().get('/api/v1/push/vapid-public-key').expect(200);
      expect(answer.body).toEqual({ public_key: expect.stringMatching(/^B[A-Za-z0-9_-]{86}$/) });
      expect(Buffer.from(answer.body.public_key, 'base64url')).toHaveLength(65);
      const kept = await stat(join(environment.dataDir, 'vapid-keys.json'));
      expect(kept.mode & 0o777).toBe(0o600);
    });
  });

  describe('registering', () => {
    it('registers an Android phone and a browser, lists them, and forgets the browser by its percent-encoded endpoint', async () => {
      const user = await createUser(t);
      const token = fcmToken();
      const phone = await register(user, token, 'android_app').expect(201);
      expect(phone.body.device).toMatchObject({ token, notification_service: 'android_app' });
      const subscription = pushService.subscribe();
      const created = await register(user, subscription.token, 'web_push').expect(201);
      expect(created.body.device).toMatchObject({
        token: subscription.token,
        notification_service: 'web_push',
      });
      expect(subscription.token.length).toBeGreaterThan(200);
      // The same browser again is the same device.
      await register(user, subscription.token, 'web_push').expect(200);
      expect((await devices(user)).map((device) => device.notification_service)).toEqual([
        'android_app',
        'web_push',
      ]);

      await t
        .http()
        .delete(`/api/v1/devices/${encodeURIComponent(subscription.endpoint)}`)
        .set(user.auth)
        .expect(200, { result: true });
      expect((await devices(user)).map((device) => device.token)).toEqual([token]);
      await t
        .http()
        .delete(`/api/v1/devices/${encodeURIComponent(token)}`)
        .set(user.auth)
        .expect(200);
      expect(await devices(user)).toEqual([]);
    });

    it('forgets a browser given up at logout by its endpoint, and only the caller’s', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const [annsLaptop, bobsLaptop] = [await browser(ann), await browser(bob)];
      for (const endpoint of [bobsLaptop.endpoint, annsLaptop.endpoint]) {
        const session = await anotherSession(t, ann);
        await t
          .http()
          .post('/api/v1/auth/logout')
          .set(session.auth)
          .send({ device_token: endpoint })
          .expect(200);
      }
      await settled();
      expect(await devices(ann)).toEqual([]);
      expect((await devices(bob)).map((device) => device.token)).toEqual([bobsLaptop.token]);
    });

    it('keeps one device for a browser that registers again with renewed keys', async () => {
      const user = await createUser(t);
      const subscription = await browser(user);
      const renewed = {
        ...subscription.json,
        keys: { ...subscription.json.keys, auth: randomBytes(16).toString('base64url') },
      };
      await register(user, JSON.stringify(renewed), 'web_push').expect(200);
      expect((await devices(user)).map((device) => device.token)).toEqual([JSON.stringify(renewed)]);
    });

    it('moves a browser another user registered to the one who registers it now', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const subscription = await browser(ann);
      await register(bob, subscription.token, 'web_push').expect(201);
      expect(await devices(ann)).toEqual([]);
      expect(await devices(bob)).toHaveLength(1);
    });

    it.each([
      ['not JSON', 'https://push.example/send/abc', /not JSON/],
      ['an http:// endpoint', { endpoint: 'http://push.example/send/abc' }, /endpoint is https:\/\//],
      [
        'a private address',
        { endpoint: 'https://10.0.0.8/send/abc' },
        /not a private, loopback or reserved address/,
      ],
      [
        'a loopback address',
        { endpoint: 'https://[::1]:8443/send/abc' },
        /not a private, loopback or reserved address/,
      ],
      [
        'localhost',
        { endpoint: 'https://localhost/send/abc' },
        /not a private, loopback or reserved address/,
      ],
      [
        'a short p256dh',
        { keys: { p256dh: randomBytes(33).toString('base64url') } },
        /keys\.p256dh is a P-256 public key/,
      ],
      [
        'a p256dh off the curve',
        { keys: { p256dh: Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString('base64url') } },
        /keys\.p256dh/,
      ],
      ['an 8-byte auth', { keys: { auth: randomBytes(8).toString('base64url') } }, /keys\.auth is 16 bytes/],
      ['no keys', { keys: null }, /keys\.p256dh and keys\.auth/],
    ])(
      'refuses a browser subscription with %s (without PUSH_ALLOW_PRIVATE) with invalid_params',
      async (_case, change, text) => {
        const strict = await strictApp();
        const user = await createUser(strict);
        const good = pushService.subscribe().json;
        const { endpoint, keys } = change as { endpoint?: string; keys?: Record<string, string> | null };
        const subscription =
          typeof change === 'string'
            ? change
            : JSON.stringify({
                ...good,
                endpoint: endpoint ?? 'https://push.example/send/abc',
                keys: keys === null ? undefined : { ...good.keys, ...keys },
              });
        const refused = await strict
          .http()
          .post('/api/v1/devices')
          .set(user.auth)
          .send({ token: subscription, notification_service: 'web_push' })
          .expect(400);
        expect(refused.body.error.code).toBe('invalid_params');
        expect(refused.body.error.text).toMatch(text);
        const listed = await strict.http().get('/api/v1/devices').set(user.auth).expect(200);
        expect(listed.body.devices).toEqual([]);
      },
    );

    it('accepts a public https endpoint without PUSH_ALLOW_PRIVATE', async () => {
      const strict = await strictApp();
      const user = await createUser(strict);
      const subscription = { ...pushService.subscribe().json, endpoint: 'https://push.example/send/abc' };
      await strict
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token: JSON.stringify(subscription), notification_service: 'web_push' })
        .expect(201);
    });

    it('refuses a service other than ios_app, android_app and web_push, and an Android token with spaces', async () => {
      const user = await createUser(t);
      const other = await register(user, fcmToken(), 'gcm').expect(400);
      expect(other.body.error).toEqual({
        code: 'invalid_notification_service',
        text: 'notification service must be ios_app, android_app or web_push; got "gcm"',
      });
      const spaced = await register(user, `${fcmToken()} x`, 'android_app').expect(400);
      expect(spaced.body.error.code).toBe('invalid_params');
      expect(await devices(user)).toEqual([]);
    });
  });

  describe('what is pushed', () => {
    it('gives a user with an iPhone, an Android phone and a browser exactly one push on each for one event', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const [phone, tablet, laptop] = [await iphone(bob), await android(bob), await browser(bob)];
      await add(ann, bob);
      const [[ios], [androidPush], [webPush]] = await Promise.all([
        apns.waitForPushes(phone),
        fcm.waitForMessages(tablet),
        pushService.waitForPushes(laptop),
      ]);
      const collapseId = `contact_added:${ann.id}`;
      expect(ios.collapseId).toBe(collapseId);
      expect(androidPush.message).toEqual({
        token: tablet,
        notification: { title: 'New contact', body: expect.stringContaining('added you as a contact.') },
        data: { event: 'contact_added', user_id: String(ann.id) },
        android: { collapse_key: collapseId, priority: 'high', ttl: '86400s' },
      });
      expect(webPush).toMatchObject({
        vapidKey,
        topic: topicOf(collapseId),
        encoding: 'aes128gcm',
        urgency: 'high',
        ttl: '86400',
        payload: {
          title: 'New contact',
          body: expect.stringContaining('added you as a contact.'),
          tag: collapseId,
          unichat: { event: 'contact_added', user_id: ann.id },
        },
      });
      expect(webPush.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
      // Removed and added again: the same news, not pushed a second time to any device.
      await t.http().delete(`/api/v1/contacts/${bob.id}`).set(ann.auth).expect(200);
      await add(ann, bob);
      await settled();
      expect(apns.pushesTo(phone)).toHaveLength(1);
      expect(fcm.messagesTo(tablet)).toHaveLength(1);
      expect(pushService.pushesTo(laptop)).toHaveLength(1);
    });

    it('always pushes a new login to every device, open stream or not', async () => {
      const bob = await createUser(t);
      const [tablet, laptop] = [await android(bob), await browser(bob)];
      streams.push(await openStream(t, bob));
      await anotherSession(t, bob);
      const [[androidPush], [webPush]] = await Promise.all([
        fcm.waitForMessages(tablet),
        pushService.waitForPushes(laptop),
      ]);
      expect(androidPush.message.data).toEqual({ event: 'new_login', user_id: String(bob.id) });
      expect(androidPush.message.android?.collapse_key).toMatch(/^new_login:/);
      expect(webPush.payload?.unichat).toEqual({ event: 'new_login', user_id: bob.id });
      expect(webPush.topic).toBe(topicOf(androidPush.message.android?.collapse_key as string));
    });

    it('pushes no contact_added to an Android phone or a browser when an open stream took the event', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const [tablet, laptop] = [await android(bob), await browser(bob)];
      const stream = await openStream(t, bob);
      streams.push(stream);
      await add(ann, bob);
      await stream.next('contact_added', (data: { user: { id: number } }) => data.user.id === ann.id);
      await settled();
      expect(fcm.messagesTo(tablet)).toEqual([]);
      expect(pushService.pushesTo(laptop)).toEqual([]);
    });

    it('never pushes a contact added by a user the receiver blocked', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const [tablet, laptop] = [await android(bob), await browser(bob)];
      await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
      await add(ann, bob);
      await settled();
      expect(fcm.messagesTo(tablet)).toEqual([]);
      expect(pushService.pushesTo(laptop)).toEqual([]);
    });

    it('sends the test push to every device and answers how many were accepted', async () => {
      const user = await createUser(t);
      const [phone, tablet, laptop] = [await iphone(user), await android(user), await browser(user)];
      const answer = await t.http().post('/api/v1/devices/test-push').set(user.auth).expect(200);
      expect(answer.body).toEqual({ devices: 3, accepted: 3 });
      expect(apns.pushesTo(phone)).toHaveLength(1);
      expect(fcm.messagesTo(tablet).map((message) => message.message.data?.event)).toEqual(['test_push']);
      expect(pushService.pushesTo(laptop).map((push) => push.payload?.body)).toEqual([
        'Test notification: push works on this device.',
      ]);
    });

    it('asks Google for one access token with the signed assertion and reuses it for every FCM push', async () => {
      const user = await createUser(t);
      const tablets = [await android(user), await android(user)];
      for (let n = 0; n < 2; n += 1)
        await t.http().post('/api/v1/devices/test-push').set(user.auth).expect(200);
      for (const tablet of tablets)
        expect(fcm.messagesTo(tablet).map((message) => message.status)).toEqual([200, 200]);
      expect(fcm.tokensMinted()).toBe(1);
      expect(fcm.refusedBearers()).toBe(0);
    });

    it('counts pushes by service and outcome', async () => {
      const user = await createUser(t);
      const [tablet, laptop] = [await android(user), await browser(user)];
      pushService.answer(laptop.id, 410);
      const before = await pushCounts();
      await t
        .http()
        .post('/api/v1/devices/test-push')
        .set(user.auth)
        .expect(200, { devices: 2, accepted: 1 });
      await settled();
      const after = await pushCounts();
      const grew = (service: string, outcome: string) =>
        (after.get(`${service}/${outcome}`) ?? 0) - (before.get(`${service}/${outcome}`) ?? 0);
      expect(grew('android_app', 'accepted')).toBe(1);
      expect(grew('web_push', 'dead_token')).toBe(1);
      expect(fcm.messagesTo(tablet)).toHaveLength(1);
    });
  });

  describe('dead tokens and busy services', () => {
    it('forgets an Android phone FCM calls UNREGISTERED (404) or INVALID_ARGUMENT (400), keeping the others', async () => {
      const user = await createUser(t);
      const [gone, invalid, kept] = [await android(user), await android(user), await android(user)];
      fcm.answer(gone, 404);
      fcm.answer(invalid, 400);
      expect((await t.http().post('/api/v1/devices/test-push').set(user.auth).expect(200)).body).toEqual({
        devices: 3,
        accepted: 1,
      });
      await settled();
      expect((await devices(user)).map((device) => device.token)).toEqual([kept]);
    });

    it.each([404, 410] as const)('forgets a browser whose push service answers %i', async (status) => {
      const user = await createUser(t);
      const [gone, kept] = [await browser(user), await browser(user)];
      pushService.answer(gone.id, status);
      await t
        .http()
        .post('/api/v1/devices/test-push')
        .set(user.auth)
        .expect(200, { devices: 2, accepted: 1 });
      await settled();
      expect((await devices(user)).map((device) => device.token)).toEqual([kept.token]);
    });

    it('retries 429 and 5xx from FCM and from the push service with back-off, then delivers, keeping the devices', async () => {
      const user = await createUser(t);
      const [tablet, laptop] = [await android(user), await browser(user)];
      fcm.answer(tablet, 429, 503, 200);
      pushService.answer(laptop.id, 500, 429, 201);
      await t
        .http()
        .post('/api/v1/devices/test-push')
        .set(user.auth)
        .expect(200, { devices: 2, accepted: 0 });
      const [messages, pushes] = await Promise.all([
        fcm.waitForMessages(tablet, 3),
        pushService.waitForPushes(laptop, 3),
      ]);
      expect(messages.map((message) => message.status)).toEqual([429, 503, 200]);
      expect(pushes.map((push) => push.status)).toEqual([500, 429, 201]);
      // Spread out in time, not sent again at once.
      expect(messages[2].at - messages[0].at).toBeGreaterThanOrEqual(30 + 60);
      await settled();
      expect(await devices(user)).toHaveLength(2);
    });
  });

  it('never logs a whole FCM token, push endpoint or subscription key', async () => {
    await settled();
    const text = logs.texts().join('\n');
    expect(text).toMatch(/through FCM: 1 of 1 device\(s\) accepted/);
    expect(text).toMatch(/device 127\.0\.0\.1:\d+\/…[\w-]{8}…: 500/);
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it("serves the demo's service worker, which shows a push as a notification", async () => {
    const worker = await t.http().get('/demo/sw.js').expect(200);
    expect(worker.headers['content-type']).toMatch(/^text\/javascript/);
    expect(worker.text).toContain("addEventListener('push'");
    expect(worker.text).toContain('showNotification');
  });

  /** The push counter's values, keyed "service/outcome". */
  async function pushCounts(): Promise<Map<string, number>> {
    const metric = await t.app.get(Metrics).pushes.get();
    return new Map(
      metric.values.map((value) => [`${value.labels.service}/${value.labels.outcome}`, value.value]),
    );
  }

  let strict: TestApp | null = null;
  afterAll(async () => strict?.close());
  /** The service as deployed: browser endpoints may not name private addresses. */
  async function strictApp(): Promise<TestApp> {
    strict ??= await startApp();
    return strict;
  }
});

describe('push services at start-up', () => {
  it('says which push services are on: Android off without FCM_SERVICE_ACCOUNT_FILE, Web Push always', async () => {
    const logs = captureLogs();
    const t = await startApp();
    try {
      const lines = logs.texts('log');
      expect(lines).toContain('Android push is off: set FCM_SERVICE_ACCOUNT_FILE to send to Android devices');
      expect(
        lines.filter((line) => line.startsWith('push to browsers with Web Push, VAPID key ')),
      ).toHaveLength(1);
      const user = await createUser(t);
      await t
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token: fcmToken(), notification_service: 'android_app' })
        .expect(201);
      await t
        .http()
        .post('/api/v1/devices/test-push')
        .set(user.auth)
        .expect(200, { devices: 0, accepted: 0 });
    } finally {
      await t.close();
      logs.restore();
    }
  });

  it("is refused by Google when the service account's key is not its own, says so once, and keeps the devices", async () => {
    const fcm = await startFcmEmulator();
    const account = JSON.parse(await readFile(fcm.vars.FCM_SERVICE_ACCOUNT_FILE, 'utf8')) as Record<
      string,
      string
    >;
    const forged = join(`${fcm.vars.FCM_SERVICE_ACCOUNT_FILE}.forged.json`);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await writeFile(
      forged,
      JSON.stringify({ ...account, private_key: otherKey.export({ type: 'pkcs8', format: 'pem' }) }),
    );
    const logs = captureLogs();
    const t = await startApp(undefined, { ...fcm.vars, FCM_SERVICE_ACCOUNT_FILE: forged });
    try {
      const user = await createUser(t);
      const token = fcmToken();
      await t
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token, notification_service: 'android_app' })
        .expect(201);
      for (let n = 0; n < 2; n += 1) {
        await t
          .http()
          .post('/api/v1/devices/test-push')
          .set(user.auth)
          .expect(200, { devices: 1, accepted: 0 });
      }
      await t.app.get(PushService).idle();
      expect(fcm.tokensMinted()).toBe(0);
      expect(fcm.received).toEqual([]);
      const refusals = logs.texts('error').filter((line) => line.startsWith('FCM refused our credentials'));
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toContain('check FCM_SERVICE_ACCOUNT_FILE');
      const listed = await t.http().get('/api/v1/devices').set(user.auth).expect(200);
      expect(listed.body.devices.map((device: { token: string }) => device.token)).toEqual([token]);
    } finally {
      await t.close();
      logs.restore();
      await fcm.close();
    }
  });

  it('keeps the VAPID key across a restart, and says which services are on', async () => {
    const fcm = await startFcmEmulator();
    const environment = await createTestEnvironment(fcm.vars);
    try {
      let first = await startApp(environment);
      const key = (await first.http().get('/api/v1/push/vapid-public-key').expect(200)).body.public_key;
      await first.close();
      first = await startApp(environment);
      try {
        expect((await first.http().get('/api/v1/push/vapid-public-key').expect(200)).body.public_key).toBe(
          key,
        );
      } finally {
        await first.close();
      }
    } finally {
      await environment.dispose();
      await fcm.close();
    }
  });

  it('uses VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY when they are set', async () => {
    const { generateVAPIDKeys } = (await import('web-push')).default;
    const keys = generateVAPIDKeys();
    const t = await startApp(undefined, {
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: keys.privateKey,
    });
    try {
      const answer = await t.http().get('/api/v1/push/vapid-public-key').expect(200);
      expect(answer.body.public_key).toBe(keys.publicKey);
    } finally {
      await t.close();
    }
  });
});

describe('the FCM access token', () => {
  it('is renewed before a send when it has less than 5 minutes left, and reused while it has more', async () => {
    // Tokens of 4 minutes: each is already near its end when it arrives.
    const fcm = await startFcmEmulator({ tokenLifetimeSeconds: 240 });
    const t = await startApp(undefined, fcm.vars);
    try {
      const user = await createUser(t);
      await t.app.get(EventBus).drain();
      await t.app.get(PushService).idle();
      const tablet = fcmToken();
      await t
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token: tablet, notification_service: 'android_app' })
        .expect(201);
      const testPush = () =>
        t.http().post('/api/v1/devices/test-push').set(user.auth).expect(200, { devices: 1, accepted: 1 });
      await testPush();
      await testPush();
      expect(fcm.tokensMinted()).toBe(2);
      // Tokens of an hour from now on: the next send renews the short one, the one after reuses it.
      fcm.setTokenLifetime(3600);
      await testPush();
      await testPush();
      const minted = fcm.mintedTokens();
      expect(minted).toHaveLength(3);
      expect(fcm.messagesTo(tablet).map((message) => message.bearer)).toEqual([
        minted[0],
        minted[1],
        minted[2],
        minted[2],
      ]);
      expect(fcm.refusedBearers()).toBe(0);
    } finally {
      await t.close();
      await fcm.close();
    }
  });
});
