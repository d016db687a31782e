import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushMessages } from '../src/devices/push-messages.js';
import { PushService } from '../src/devices/push.service.js';
import { EventBus } from '../src/bus/event-bus.service.js';
import { type ApnsEmulator, startApnsEmulator } from './support/apns-emulator.js';
import {
  anotherSession,
  createUser,
  PASSWORD,
  startApp,
  waitForMail,
  type TestApp,
  type TestUser,
} from './support/harness.js';
import { linkIn } from './support/mails.js';
import { captureLogs } from './support/logs.js';
import { waitFor } from './support/wait.js';

const newToken = () => randomBytes(32).toString('hex');

describe('devices and push', () => {
  let apns: ApnsEmulator;
  let t: TestApp;
  const logs = captureLogs();
  const tokensUsed: string[] = [];
  const scripted403 = new Set<string>();
  const token = () => {
    const value = newToken();
    tokensUsed.push(value);
    return value;
  };

  beforeAll(async () => {
    apns = await startApnsEmulator();
    t = await startApp(undefined, apns.vars);
  });
  afterAll(async () => {
    await t?.close();
    await apns?.close();
    logs.restore();
  });

  const register = (user: TestUser, deviceToken: string, service = 'ios_app') =>
    t
      .http()
      .post('/api/v1/devices')
      .set(user.auth)
      .send({ token: deviceToken, notification_service: service });
  const devices = async (user: TestUser): Promise<{ token: string }[]> =>
    (await t.http().get('/api/v1/devices').set(user.auth).expect(200)).body.devices;
  const tokensOf = async (user: TestUser) => (await devices(user)).map((device) => device.token);
  const testPush = (user: TestUser) => t.http().post('/api/v1/devices/test-push').set(user.auth);
  /** Waits until every event listener and every push under way, retries included, has finished. */
  const settled = async () => {
    await t.app.get(EventBus).drain();
    await t.app.get(PushService).idle();
  };
  const pushLines = () => logs.lines().filter((line) => line.context === 'Push');

  describe('registering devices', () => {
    it('registers a device and lists it; registering it again is idempotent', async () => {
      const user = await createUser(t);
      const deviceToken = token();
      const created = await register(user, deviceToken).expect(201);
      expect(created.body.device).toEqual({
        id: expect.any(Number),
        token: deviceToken,
        notification_service: 'ios_app',
        created_at: expect.any(String),
        registered_at: expect.any(String),
      });
      const again = await register(user, deviceToken).expect(200);
      expect(again.body.device).toMatchObject({
        id: created.body.device.id,
        created_at: created.body.device.created_at,
      });
      expect(await devices(user)).toEqual([
        { ...created.body.device, registered_at: again.body.device.registered_at },
      ]);
    });

    it('keeps tokens lower-case, so a token written in capitals is the same device', async () => {
      const user = await createUser(t);
      const deviceToken = token();
      await register(user, deviceToken.toUpperCase()).expect(201);
      await register(user, deviceToken).expect(200);
      expect(await tokensOf(user)).toEqual([deviceToken]);
      // Removing it in capitals removes it too.
      await t.http().delete(`/api/v1/devices/${deviceToken.toUpperCase()}`).set(user.auth).expect(200);
      expect(await tokensOf(user)).toEqual([]);
    });

    it('accepts longer tokens of up to 200 hex characters (future APNs formats)', async () => {
      const user = await createUser(t);
      const long = randomBytes(100).toString('hex');
      tokensUsed.push(long);
      await register(user, long).expect(201);
      expect(await tokensOf(user)).toEqual([long]);
    });

    it('refuses a notification service other than ios_app, android_app and web_push with invalid_notification_service, and registers nothing', async () => {
      const user = await createUser(t);
      for (const service of ['gcm', 'IOS_APP', '']) {
        const response = await register(user, token(), service).expect(400);
        expect(response.body.error.code).toBe('invalid_notification_service');
      }
      expect(await devices(user)).toEqual([]);
    });

    it.each([
      ['63 hex characters', 'a'.repeat(63)],
      ['62 hex characters', 'ab'.repeat(31)],
      ['202 hex characters', 'ab'.repeat(101)],
      ['not hexadecimal', `${'ab'.repeat(31)}zz`],
      ['an NSData description', `<${'abababab '.repeat(8).trim()}>`],
    ])('refuses a token of %s with invalid_params, and registers nothing', async (_case, badToken) => {
      const user = await createUser(t);
      const response = await register(user, badToken).expect(400);
      expect(response.body.error).toEqual({
        code: 'invalid_params',
        text: 'token must be an even number of hexadecimal digits, 64 to 200 (an APNs device token)',
      });
      expect(await devices(user)).toEqual([]);
    });

    it('refuses unknown fields, wrong types and missing fields with invalid_params, and registers nothing', async () => {
      const user = await createUser(t);
      for (const body of [
        { token: token(), notification_service: 'ios_app', sandbox: true },
        { token: 42, notification_service: 'ios_app' },
        { notification_service: 'ios_app' },
        { token: token() },
      ]) {
        const response = await t.http().post('/api/v1/devices').set(user.auth).send(body).expect(400);
        expect(response.body.error.code).toBe('invalid_params');
      }
      expect(await devices(user)).toEqual([]);
    });

    it('moves a token another user holds to the caller', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const deviceToken = token();
      await register(ann, deviceToken).expect(201);
      await register(bob, deviceToken).expect(201);
      expect(await tokensOf(ann)).toEqual([]);
      expect(await tokensOf(bob)).toEqual([deviceToken]);
      // Ann's pushes no longer reach the phone; Bob's do.
      expect((await testPush(ann).expect(200)).body).toEqual({ devices: 0, accepted: 0 });
      expect((await testPush(bob).expect(200)).body).toEqual({ devices: 1, accepted: 1 });
      expect(apns.pushesTo(deviceToken).map((push) => push.payload.unichat)).toEqual([
        { event: 'test_push', user_id: bob.id },
      ]);
    });

    it('answers every one of many users registering one phone at once, and one of them holds it', async () => {
      const users = await Promise.all(Array.from({ length: 6 }, () => createUser(t)));
      const deviceToken = token();
      const answers = await Promise.all(
        users.flatMap((user) => [register(user, deviceToken), register(user, deviceToken)]),
      );
      expect(answers.filter((answer) => answer.status >= 300)).toEqual([]);
      const holders = (await Promise.all(users.map(tokensOf))).filter((tokens) => tokens.length > 0);
      expect(holders).toEqual([[deviceToken]]);
    });

    it('keeps at most 20 devices per user, forgetting the least recently registered', async () => {
      const user = await createUser(t);
      const tokens = Array.from({ length: 21 }, () => token());
      for (const deviceToken of tokens) await register(user, deviceToken).expect(201);
      const kept = await tokensOf(user);
      expect(kept).toHaveLength(20);
      expect(kept).not.toContain(tokens[0]);
      expect(kept).toContain(tokens[20]);
    });

    it('needs an access token and a confirmed email', async () => {
      await t.http().get('/api/v1/devices').expect(401);
      await t
        .http()
        .post('/api/v1/devices')
        .send({ token: token(), notification_service: 'ios_app' })
        .expect(401);
      const unconfirmed = await createUser(t, { confirmed: false });
      const response = await register(unconfirmed, token()).expect(403);
      expect(response.body.error.code).toBe('email_not_confirmed');
    });
  });

  describe('removing devices', () => {
    it('removes my device with {result: true}; a second time it is not_found', async () => {
      const user = await createUser(t);
      const [kept, removed] = [token(), token()];
      await register(user, kept).expect(201);
      await register(user, removed).expect(201);
      await t
        .http()
        .delete(`/api/v1/devices/${removed.toUpperCase()}`)
        .set(user.auth)
        .expect(200, { result: true });
      expect(await tokensOf(user)).toEqual([kept]);
      const again = await t.http().delete(`/api/v1/devices/${removed}`).set(user.auth).expect(404);
      expect(again.body.error.code).toBe('not_found');
      expect(await tokensOf(user)).toEqual([kept]);
    });

    it("answers not_found for another user's device and leaves it alone; invalid_params for a malformed token", async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const annsToken = token();
      await register(ann, annsToken).expect(201);
      const other = await t.http().delete(`/api/v1/devices/${annsToken}`).set(bob.auth).expect(404);
      expect(other.body.error.code).toBe('not_found');
      const malformed = await t.http().delete('/api/v1/devices/not-a-token').set(ann.auth).expect(400);
      expect(malformed.body.error.code).toBe('invalid_params');
      expect(await tokensOf(ann)).toEqual([annsToken]);
    });

    it('removes the device_token given at logout, and only if it is mine', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const [annsPhone, annsTablet, bobsPhone] = [token(), token(), token()];
      await register(ann, annsPhone).expect(201);
      await register(ann, annsTablet).expect(201);
      await register(bob, bobsPhone).expect(201);
      // A second session of Ann's logs out, giving up her phone's token and (wrongly) Bob's.
      const login = await anotherSession(t, ann);
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(login.auth)
        .send({ device_token: annsPhone })
        .expect(200);
      await waitFor(
        async () => !(await tokensOf(ann)).includes(annsPhone),
        'the logged-out device to be removed',
      );
      expect(await tokensOf(ann)).toEqual([annsTablet]);

      const again = await anotherSession(t, ann);
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(again.auth)
        .send({ device_token: bobsPhone })
        .expect(200);
      await settled();
      expect(await tokensOf(bob)).toEqual([bobsPhone]);
    });
  });

  describe('what is pushed', () => {
    it('sends a test push to all my devices and answers how many APNs accepted', async () => {
      const user = await createUser(t);
      const [phone, tablet, gone] = [token(), token(), token()];
      for (const deviceToken of [phone, tablet, gone]) await register(user, deviceToken).expect(201);
      apns.answer(gone, 410);
      expect((await testPush(user).expect(200)).body).toEqual({ devices: 3, accepted: 2 });
      for (const deviceToken of [phone, tablet]) {
        const [push] = apns.pushesTo(deviceToken);
        expect(push).toMatchObject({
          method: 'POST',
          path: `/3/device/${deviceToken}`,
          topic: apns.topic,
          pushType: 'alert',
          priority: '10',
          status: 200,
        });
        expect(push.payload).toEqual({
          aps: {
            alert: { title: 'Unichat', body: 'Test notification: push works on this device.' },
            sound: 'default',
          },
          unichat: { event: 'test_push', user_id: user.id },
        });
        // APNs keeps it a day for a phone that is off.
        expect(Number(push.expiration) - Date.now() / 1000).toBeGreaterThan(86_000);
      }
    });

    it('answers a test push without devices with zeros, and refuses a sixth in a minute with please_wait', async () => {
      const user = await createUser(t);
      for (let n = 0; n < 5; n += 1)
        expect((await testPush(user).expect(200)).body).toEqual({ devices: 0, accepted: 0 });
      const refused = await testPush(user).expect(429);
      expect(refused.body.error.code).toBe('please_wait');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('tells the user someone added them as a contact, naming the adder', async () => {
      const nick = `Adder${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const [adder, added] = await Promise.all([createUser(t, { nick }), createUser(t)]);
      const [addersPhone, addedPhone] = [token(), token()];
      await register(adder, addersPhone).expect(201);
      await register(added, addedPhone).expect(201);
      await t.http().post('/api/v1/contacts').set(adder.auth).send({ user_id: added.id }).expect(200);
      const [push] = await apns.waitForPushes(addedPhone);
      expect(push.payload).toEqual({
        aps: { alert: { title: 'New contact', body: `${nick} added you as a contact.` }, sound: 'default' },
        unichat: { event: 'contact_added', user_id: adder.id },
      });
      await settled();
      expect(apns.pushesTo(addersPhone)).toEqual([]);
      expect(apns.pushesTo(addedPhone)).toHaveLength(1);
    });

    it('never pushes a contact added between users with a block either way', async () => {
      const [ann, bob, cid] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      const [bobsPhone, annsPhone] = [token(), token()];
      await register(bob, bobsPhone).expect(201);
      await register(ann, annsPhone).expect(201);
      // Ann blocked Bob, then adds him: allowed, but Bob hears nothing of it.
      await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
      await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
      // Cid is blocked by Ann: adding her is refused, and of course not pushed.
      await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: cid.id }).expect(200);
      await t.http().post('/api/v1/contacts').set(cid.auth).send({ user_id: ann.id }).expect(403);
      await settled();
      expect(apns.pushesTo(bobsPhone)).toEqual([]);
      expect(apns.pushesTo(annsPhone)).toEqual([]);
    });

    it('tells a device of the logins after it was registered only: a phone hears nothing of its own login', async () => {
      const user = await createUser(t);
      const phone = token();
      await register(user, phone).expect(201);
      // A login a minute before the phone registered, whose push goes out only now (a busy instance).
      const before = new Date(Date.now() - 60_000);
      t.app.get(PushService).notify(user.id, pushMessages.newLogin(user.id, null, before), before);
      await settled();
      expect(apns.pushesTo(phone)).toEqual([]);
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      await settled();
      expect(apns.pushesTo(phone).map((push) => push.payload.unichat)).toEqual([
        { event: 'new_login', user_id: user.id },
      ]);
    });

    it('tells the user about a new login, with the device, the browser and the time', async () => {
      const user = await createUser(t);
      const phone = token();
      await register(user, phone).expect(201);
      await t
        .http()
        .post('/api/v1/auth/login')
        .set('User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0')
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
      const [push] = await apns.waitForPushes(phone);
      expect(push.payload.unichat).toEqual({ event: 'new_login', user_id: user.id });
      expect(push.payload.aps?.alert?.title).toBe('New login to your account');
      expect(push.payload.aps?.alert?.body).toMatch(
        /^Firefox on Windows, \d{4}-\d\d-\d\d \d\d:\d\d UTC\. If this wasn't you, change your password\.$/,
      );
      const stamp = /(\d{4}-\d\d-\d\d \d\d:\d\d) UTC/.exec(push.payload.aps?.alert?.body ?? '')?.[1] ?? '';
      expect(Math.abs(Date.parse(`${stamp.replace(' ', 'T')}:00Z`) - Date.now())).toBeLessThan(120_000);
    });

    it('tells the user their password was changed, and when it was reset', async () => {
      const user = await createUser(t);
      const phone = token();
      await register(user, phone).expect(201);
      await t
        .http()
        .patch('/api/v1/me')
        .set(user.auth)
        .send({ password: 'New-password-42', current_password: PASSWORD })
        .expect(200);
      const [changed] = await apns.waitForPushes(phone);
      expect(changed.payload.unichat).toEqual({ event: 'password_changed', user_id: user.id });
      expect(changed.payload.aps?.alert?.title).toBe('Password changed');

      await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200);
      const mail = await waitForMail(t, user.email, /reset/i);
      const resetToken = new URL(linkIn(mail, 'password_reset_token=')).searchParams.get(
        'password_reset_token',
      );
      await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ token: resetToken, password: 'Newer-password-43' })
        .expect(200);
      const [, reset] = await apns.waitForPushes(phone, 2);
      expect(reset.payload.unichat).toEqual({ event: 'password_reset', user_id: user.id });
      expect(reset.payload.aps?.alert?.title).toBe('Password reset');
    });

    it('never makes the request that caused a push wait for APNs', async () => {
      const [adder, added] = await Promise.all([createUser(t), createUser(t)]);
      const phone = token();
      await register(added, phone).expect(201);
      apns.pause();
      try {
        await t.http().post('/api/v1/contacts').set(adder.auth).send({ user_id: added.id }).expect(200);
        // The push reached APNs, which has not answered yet: the request was answered anyway.
        await apns.waitForPushes(phone);
      } finally {
        apns.resume();
      }
      await settled();
      expect(apns.pushesTo(phone).map((push) => push.status)).toEqual([200]);
    });

    it('keeps one HTTP/2 connection to APNs for many pushes', async () => {
      const user = await createUser(t);
      await register(user, token()).expect(201);
      await testPush(user).expect(200);
      const before = apns.connections();
      for (let n = 0; n < 3; n += 1) await testPush(user).expect(200, { devices: 1, accepted: 1 });
      expect(apns.connections()).toEqual(before);
      expect(before.open).toBe(1);
    });
  });

  describe("APNs' answers", () => {
    it('forgets a token APNs calls Unregistered (410), keeping the other devices', async () => {
      const user = await createUser(t);
      const [gone, kept] = [token(), token()];
      await register(user, gone).expect(201);
      await register(user, kept).expect(201);
      apns.answer(gone, 410);
      expect((await testPush(user).expect(200)).body).toEqual({ devices: 2, accepted: 1 });
      expect(await tokensOf(user)).toEqual([kept]);
      expect(apns.pushesTo(gone).map((push) => [push.status, push.reason])).toEqual([[410, 'Unregistered']]);
    });

    it('forgets a token APNs calls BadDeviceToken (400)', async () => {
      const user = await createUser(t);
      const bad = token();
      await register(user, bad).expect(201);
      apns.answer(bad, 400);
      // A push the user did not ask for: the token goes in the background.
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      await waitFor(async () => (await tokensOf(user)).length === 0, 'the bad token to be removed');
      expect(apns.pushesTo(bad).map((push) => push.reason)).toEqual(['BadDeviceToken']);
    });

    it.each([429, 500, 503] as const)(
      'retries a push refused with %i with growing delays, and delivers it when APNs takes it',
      async (status) => {
        const user = await createUser(t);
        const phone = token();
        await register(user, phone).expect(201);
        apns.answer(phone, status, status, 200);
        expect((await testPush(user).expect(200)).body).toEqual({ devices: 1, accepted: 0 });
        const pushes = await apns.waitForPushes(phone, 3);
        await settled();
        expect(apns.pushesTo(phone).map((push) => push.status)).toEqual([status, status, 200]);
        // Base 40 ms (APNS_RETRY_BASE_MS), doubling, each within ±20 %.
        expect(pushes[1].at - pushes[0].at).toBeGreaterThanOrEqual(30);
        expect(pushes[2].at - pushes[1].at).toBeGreaterThanOrEqual(62);
        expect(pushes[2].payload).toEqual(pushes[0].payload);
        expect(await tokensOf(user)).toEqual([phone]);
      },
    );

    it('gives up after three retries and logs it, keeping the device', async () => {
      const user = await createUser(t);
      const phone = token();
      await register(user, phone).expect(201);
      apns.answer(phone, 500);
      await testPush(user).expect(200, { devices: 1, accepted: 0 });
      await settled();
      expect(apns.pushesTo(phone).map((push) => push.status)).toEqual([500, 500, 500, 500]);
      expect(await tokensOf(user)).toEqual([phone]);
      const givenUp = pushLines().filter(
        (line) =>
          line.level === 'error' && line.text.includes(`user ${user.id}`) && line.text.includes('given up'),
      );
      expect(givenUp).toHaveLength(1);
      expect(givenUp[0].text).toContain(`device ${phone.slice(0, 8)}…: 500`);
    });

    it('does not retry to a device that moved to another user meanwhile', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const phone = token();
      await register(ann, phone).expect(201);
      apns.answer(phone, 429, 200);
      apns.pause();
      try {
        // Ann's "new login" push reaches APNs, which is slow to answer; meanwhile Bob takes the phone.
        await t.http().post('/api/v1/auth/login').send({ email: ann.email, password: PASSWORD }).expect(200);
        await apns.waitForPushes(phone);
        await register(bob, phone).expect(201);
      } finally {
        apns.resume();
      }
      await settled();
      expect(apns.pushesTo(phone).map((push) => [push.status, push.payload.unichat])).toEqual([
        [429, { event: 'new_login', user_id: ann.id }],
      ]);
      expect(await tokensOf(bob)).toEqual([phone]);
    });

    it('logs a refused key (403) once a minute, not once per push, and keeps the devices', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const [annsPhone, bobsPhone] = [token(), token()];
      await register(ann, annsPhone).expect(201);
      await register(bob, bobsPhone).expect(201);
      apns.answer(annsPhone, 403);
      apns.answer(bobsPhone, 403);
      scripted403.add(annsPhone).add(bobsPhone);
      const refusals = () =>
        pushLines().filter((line) => line.text.includes('APNs refused our provider token'));
      const before = refusals().length;
      await testPush(ann).expect(200, { devices: 1, accepted: 0 });
      await testPush(bob).expect(200, { devices: 1, accepted: 0 });
      await testPush(ann).expect(200, { devices: 1, accepted: 0 });
      await settled();
      expect(refusals().length - before).toBe(1);
      expect(refusals().at(-1)?.text).toContain('403 InvalidProviderToken');
      expect(apns.pushesTo(annsPhone)).toHaveLength(2);
      expect(await tokensOf(ann)).toEqual([annsPhone]);
      expect(await tokensOf(bob)).toEqual([bobsPhone]);
    });

    it('signs every request with the team key (the emulator checks each JWT, topic and path)', async () => {
      const user = await createUser(t);
      const phone = token();
      await register(user, phone).expect(201);
      await testPush(user).expect(200, { devices: 1, accepted: 1 });
      const refusedByChecks = apns.received.filter((push) =>
        ['MissingProviderToken', 'MethodNotAllowed', 'BadPath', 'MissingTopic', 'TopicDisallowed'].includes(
          push.reason ?? '',
        ),
      );
      expect(refusedByChecks).toEqual([]);
      // The only InvalidProviderToken answers are those the tests scripted with answer(token, 403).
      const unscripted = apns.received.filter(
        (push) => push.reason === 'InvalidProviderToken' && !scripted403.has(push.token),
      );
      expect(unscripted).toEqual([]);
    });
  });

  it('never logs a whole device token, whether it moves, dies or cannot be reached', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const [moving, dead, unreachable, loggedOut] = [token(), token(), token(), token()];
    for (const deviceToken of [moving, dead, unreachable, loggedOut])
      await register(ann, deviceToken).expect(201);
    await register(bob, moving).expect(201);
    apns.answer(dead, 410);
    apns.answer(unreachable, 503);
    await testPush(ann).expect(200, { devices: 3, accepted: 1 });
    await t.http().post('/api/v1/auth/logout').set(ann.auth).send({ device_token: loggedOut }).expect(200);
    await settled();
    const text = logs
      .lines()
      .map((line) => line.text)
      .join('\n');
    for (const deviceToken of [moving, dead, unreachable, loggedOut]) {
      expect(text).toContain(`device ${deviceToken.slice(0, 8)}…`);
    }
    for (const used of tokensUsed) expect(text).not.toContain(used);
  });
});

// Each test starts its own application, with its own APNs settings.
describe('push at start-up and shutdown', () => {
  let apns: ApnsEmulator;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    logs = captureLogs();
    apns = await startApnsEmulator();
  });
  afterAll(async () => {
    await apns?.close();
    logs.restore();
  });

  const pushLines = () => logs.lines().filter((line) => line.context === 'Push');

  it('says where it pushes, closes its APNs connection at shutdown and drops retries not yet due', async () => {
    const t = await startApp(undefined, { ...apns.vars, APNS_RETRY_BASE_MS: '60000' });
    try {
      expect(pushLines().filter((line) => line.text.includes('APNs') || line.text.startsWith('iOS'))).toEqual(
        [
          {
            level: 'log',
            context: 'Push',
            text: `push through APNs at 127.0.0.1:${apns.vars.APNS_PORT}, topic ${apns.topic}, key id ${apns.keyId}`,
          },
        ],
      );
      const user = await createUser(t);
      const phone = newToken();
      await t
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token: phone, notification_service: 'ios_app' });
      apns.answer(phone, 503);
      await t
        .http()
        .post('/api/v1/devices/test-push')
        .set(user.auth)
        .expect(200, { devices: 1, accepted: 0 });
      expect(apns.connections().open).toBe(1);
    } finally {
      await t.close();
    }
    await waitFor(() => apns.connections().open === 0, 'the APNs connection to close');
    expect(pushLines().some((line) => line.text === '1 push retry(ies) dropped at shutdown')).toBe(true);
  });

  it("is refused by APNs when the key is not the team's, and says so once", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'unichat-other-key-'));
    const keyFile = join(dir, 'AuthKey_OTHER.p8');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const t = await startApp(undefined, { ...apns.vars, APNS_KEY_FILE: keyFile });
    try {
      const user = await createUser(t);
      const phone = newToken();
      await t
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token: phone, notification_service: 'ios_app' });
      for (let n = 0; n < 2; n += 1) {
        await t
          .http()
          .post('/api/v1/devices/test-push')
          .set(user.auth)
          .expect(200, { devices: 1, accepted: 0 });
      }
      expect(apns.pushesTo(phone).map((push) => [push.status, push.reason])).toEqual([
        [403, 'InvalidProviderToken'],
        [403, 'InvalidProviderToken'],
      ]);
      await t.app.get(PushService).idle();
      const refusals = pushLines().filter((line) => line.text.startsWith('APNs refused our provider token'));
      expect(refusals.map((line) => line.level)).toEqual(['error']);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is off for iPhones with one log line without APNS_*: devices still register, a test push reaches none', async () => {
    const before = pushLines().length;
    const t = await startApp();
    try {
      const started = pushLines()
        .slice(before)
        .map((line) => line.text);
      expect(started).toContain(
        'iOS push is off: set APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC to send to iOS devices',
      );
      expect(started.filter((text) => text.includes('APNs') || text.startsWith('iOS'))).toHaveLength(1);
      const user = await createUser(t);
      const deviceToken = newToken();
      await t
        .http()
        .post('/api/v1/devices')
        .set(user.auth)
        .send({ token: deviceToken, notification_service: 'ios_app' })
        .expect(201);
      await t
        .http()
        .post('/api/v1/devices/test-push')
        .set(user.auth)
        .expect(200, { devices: 0, accepted: 0 });
      // Events that would push do nothing, quietly.
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      await t.app.get(EventBus).drain();
      await t.app.get(PushService).idle();
      expect(pushLines().length - before).toBe(started.length);
    } finally {
      await t.close();
    }
  });
});
