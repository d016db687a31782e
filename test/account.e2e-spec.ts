import { randomBytes } from 'node:crypto';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { befriend, openStream, qrStream, sseCode, streamOfCode } from './support/friends.js';
import {
  anotherSession,
  createUser,
  PASSWORD,
  startApp,
  type TestApp,
  type TestUser,
  waitForMail,
} from './support/harness.js';
import { dataUrl, makeImage } from './support/images.js';
import { waitFor } from './support/wait.js';

interface ActivityEvent {
  id: number;
  type: string;
  created_at: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

describe(`the user's account${SEVERAL_INSTANCES ? ' (two instances)' : ''}`, () => {
  const deployment = startDeployment();
  const { a, b, track } = deployment;

  const activity = async (t: TestApp, user: TestUser, query = ''): Promise<ActivityEvent[]> =>
    (await t.http().get(`/api/v1/me/activity${query}`).set(user.auth).expect(200)).body.events;
  const waitForActivity = (user: TestUser, type: string, where: (e: ActivityEvent) => boolean = () => true) =>
    waitFor(
      async () => (await activity(a, user)).find((e) => e.type === type && where(e)),
      `activity ${type}`,
    );

  describe('DELETE /me', () => {
    it('deletes the account: friends hear user_deleted, its token and code fail, the address can register again', async () => {
      const nick = `Gone${randomBytes(3).toString('hex')}`;
      const [ann, bob] = await Promise.all([createUser(a, { nick }), createUser(a)]);
      await befriend(a, ann, bob);
      await a
        .http()
        .post('/api/v1/blocks')
        .set(ann.auth)
        .send({ user_id: (await createUser(a)).id })
        .expect(200);
      await a
        .http()
        .post('/api/v1/devices')
        .set(ann.auth)
        .send({ token: randomBytes(32).toString('hex'), notification_service: 'ios_app' })
        .expect(201);
      await a
        .http()
        .patch('/api/v1/me')
        .set(ann.auth)
        .send({ avatar: dataUrl(await makeImage(64, 64, 'png')) })
        .expect(200);
      const avatarUrl = new URL((await a.http().get('/api/v1/me').set(ann.auth)).body.user.avatar.full);
      const code = await sseCode(a, ann);
      const annStream = track(await openStream(a, ann));
      const bobOnB = track(await openStream(b, bob));
      const secondClient = await anotherSession(b, ann);

      await a.http().delete('/api/v1/me').set(ann.auth).send({ current_password: PASSWORD }).expect(200, {});

      // The friend's stream, on the other instance, hears of it; the user's own stream ends.
      await bobOnB.next('user_deleted', (data) => data.user_id === ann.id);
      await waitFor(() => annStream.ended, 'the deleted user’s stream to end');
      // Every credential of the user fails, on every instance, from either client.
      for (const t of [a, b]) {
        expect((await t.http().get('/api/v1/me').set(ann.auth).expect(401)).body.error.code).toBe(
          'unauthorized',
        );
        await t.http().get('/api/v1/me').set(secondClient.auth).expect(401);
        const refused = await streamOfCode(t, code);
        expect(refused.status).toBe(401);
        refused.close();
      }
      await a.http().post('/api/v1/auth/login').send({ auth_token: ann.authToken }).expect(401);
      await a.http().post('/api/v1/auth/login').send({ email: ann.email, password: PASSWORD }).expect(401);
      // Gone from everybody's view and lists; the avatar images too.
      await b.http().get(`/api/v1/users/${ann.id}`).expect(404);
      const bobsContacts = (await b.http().get('/api/v1/contacts').set(bob.auth).expect(200)).body.users;
      expect(bobsContacts.map((user: { id: number }) => user.id)).not.toContain(ann.id);
      await b.http().get(avatarUrl.pathname).expect(404);
      // The owner is told by mail; the address and the nick are free again.
      const mail = await waitForMail(a, ann.email, /account is deleted/);
      expect(mail.text).toContain('deleted');
      const again = await a
        .http()
        .post('/api/v1/auth/register')
        .send({ email: ann.email, password: PASSWORD, nick })
        .expect(201);
      expect(again.body.user.id).not.toBe(ann.id);
    });

    it('refuses a wrong current_password, changes nothing, and counts it as a failed password check', async () => {
      const ann = await createUser(a);
      const wrong = await a
        .http()
        .delete('/api/v1/me')
        .set(ann.auth)
        .send({ current_password: 'Not-the-password-1' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.code).toBe('invalid_password');
      await a.http().delete('/api/v1/me').set(ann.auth).send({}).expect(400);
      await a.http().get('/api/v1/me').set(ann.auth).expect(200);
      await waitForActivity(ann, 'login_failed', (e) => e.details.method === 'current_password');
      // Failed checks count with failed logins: after five, even the right password waits.
      for (let attempt = 0; attempt < 4; attempt += 1) {
        await a.http().delete('/api/v1/me').set(ann.auth).send({ current_password: 'Not-the-password-1' });
      }
      const waiting = await a.http().delete('/api/v1/me').set(ann.auth).send({ current_password: PASSWORD });
      expect(waiting.status).toBe(429);
      expect(waiting.body.error.code).toBe('please_wait');
      // The same count as a login's: the right password at the login waits too.
      const login = await a.http().post('/api/v1/auth/login').send({ email: ann.email, password: PASSWORD });
      expect(login.status).toBe(429);
      await a.http().get('/api/v1/me').set(ann.auth).expect(200);
    });

    it("refuses a deleted account's unexpired access token after a restart, as unauthorized", async () => {
      const ann = await createUser(a);
      await a.http().delete('/api/v1/me').set(ann.auth).send({ current_password: PASSWORD }).expect(200);
      // A new instance of the deployment has never seen the token: it asks the database.
      const restarted = await startApp(deployment.environment);
      try {
        for (const call of [
          restarted.http().get('/api/v1/me'),
          restarted.http().patch('/api/v1/me').send({ status_message: 'still here?' }),
          restarted.http().get('/api/v1/me/export'),
          restarted.http().delete('/api/v1/me').send({ current_password: PASSWORD }),
        ]) {
          const answer = await call.set(ann.auth);
          expect(answer.status).toBe(401);
          expect(answer.body.error.code).toBe('unauthorized');
        }
      } finally {
        await restarted.close();
      }
    });

    it('is the RPC method delete_me', async () => {
      const ann = await createUser(a);
      await a
        .http()
        .post('/api/v1/rpc/delete_me')
        .set(ann.auth)
        .send({ current_password: PASSWORD })
        .expect(200, {});
      await a.http().get(`/api/v1/users/${ann.id}`).expect(404);
    });
  });

  describe('GET /me/export', () => {
    it('holds everything created: own record, avatar, contacts both ways, blocks both ways, sessions, devices, activity', async () => {
      const [ann, bob, cid, dan] = await Promise.all([
        createUser(a),
        createUser(a),
        createUser(a),
        createUser(a),
      ]);
      await befriend(a, ann, bob);
      await a.http().post('/api/v1/contacts').set(cid.auth).send({ user_id: ann.id }).expect(200);
      await a.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: dan.id }).expect(200);
      await a.http().post('/api/v1/blocks').set(cid.auth).send({ user_id: ann.id }).expect(200);
      const token = randomBytes(32).toString('hex');
      await a
        .http()
        .post('/api/v1/devices')
        .set(ann.auth)
        .send({ token, notification_service: 'ios_app' })
        .expect(201);
      await a
        .http()
        .patch('/api/v1/me')
        .set(ann.auth)
        .send({ avatar: dataUrl(await makeImage(64, 64, 'png')), status_message: 'exported' })
        .expect(200);
      await anotherSession(a, ann);
      await waitForActivity(ann, 'device_added');

      const exported = (await a.http().get('/api/v1/me/export').set(ann.auth).expect(200)).body;
      expect(exported.user).toMatchObject({ id: ann.id, email: ann.email, status_message: 'exported' });
      expect(exported.user.avatar.full).toMatch(/^http/);
      expect(exported.contacts.map((c: { id: number; is_friend: boolean }) => [c.id, c.is_friend])).toEqual([
        [bob.id, true],
      ]);
      expect(exported.added_me.map((u: { id: number }) => u.id).sort()).toEqual([bob.id, cid.id].sort());
      expect(exported.blocks.blocked_by_me.map((u: { id: number }) => u.id)).toEqual([dan.id]);
      expect(exported.blocks.blocked_me.map((u: { id: number }) => u.id)).toEqual([cid.id]);
      expect(exported.sessions).toHaveLength(2);
      expect(exported.devices.map((d: { token: string }) => d.token)).toEqual([token]);
      expect(exported.activity.map((e: ActivityEvent) => e.type)).toEqual(
        expect.arrayContaining(['login', 'device_added']),
      );
      await waitForActivity(ann, 'account_exported');

      const again = await a.http().get('/api/v1/me/export').set(ann.auth).expect(429);
      expect(again.body.error.code).toBe('please_wait');
      expect(again.body.error.retry_after).toBeGreaterThan(0);
      expect(again.headers['retry-after']).toBeDefined();
    });
  });

  describe('GET /me/activity', () => {
    it('lists what happened, newest first, with the address and user agent of logins, in pages', async () => {
      const ann = await createUser(a);
      await waitForActivity(ann, 'login');
      await a
        .http()
        .post('/api/v1/auth/login')
        .set('User-Agent', 'AnnPhone/1.0')
        .send({ email: ann.email, password: 'Wrong-password-1' })
        .expect(401);
      await waitForActivity(ann, 'login_failed');
      const second = await anotherSession(a, ann);
      await waitFor(
        async () => (await activity(a, ann)).filter((e) => e.type === 'login').length === 2,
        'two logins',
      );
      const sessions = (await a.http().get('/api/v1/tokens/sessions').set(ann.auth)).body.sessions;
      const other = sessions.find((s: { current: boolean }) => !s.current);
      await a.http().delete(`/api/v1/tokens/sessions/${other.id}`).set(ann.auth).expect(200);
      await waitForActivity(ann, 'session_ended');
      await a
        .http()
        .patch('/api/v1/me')
        .set(ann.auth)
        .send({ password: 'Another-horse-43', current_password: PASSWORD })
        .expect(200);
      await waitForActivity(ann, 'password_changed');
      const newAddress = `new.${randomBytes(4).toString('hex')}@example.com`;
      await a
        .http()
        .patch('/api/v1/me')
        .set(ann.auth)
        .send({ email: newAddress, current_password: 'Another-horse-43' })
        .expect(200);
      await waitForActivity(ann, 'email_change_requested');
      await a.http().post('/api/v1/auth/logout').set(second.auth).expect(401); // ended above

      const events = await activity(a, ann);
      expect(events.map((e) => e.type)).toEqual([
        'email_change_requested',
        'password_changed',
        'session_ended',
        'login',
        'login_failed',
        'login',
        'email_confirmed',
      ]);
      const failed = events[4];
      expect(failed).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1/), user_agent: 'AnnPhone/1.0' });
      expect(failed.details).toEqual({ method: 'password' });
      expect(events[0].details).toEqual({ email: newAddress });
      expect(events[3].details).toMatchObject({ method: 'password' });
      const ids = events.map((e) => e.id);
      expect([...ids].sort((x, y) => y - x)).toEqual(ids);

      // Pages of three, continued with before_id.
      const first = (await a.http().get('/api/v1/me/activity?limit=3').set(ann.auth).expect(200)).body;
      expect(first.events.map((e: ActivityEvent) => e.id)).toEqual(ids.slice(0, 3));
      const next = (
        await a
          .http()
          .get(`/api/v1/me/activity?limit=3&before_id=${first.next_before_id}`)
          .set(ann.auth)
          .expect(200)
      ).body;
      expect(next.events.map((e: ActivityEvent) => e.id)).toEqual(ids.slice(3, 6));
      await a.http().get('/api/v1/me/activity?limit=0').set(ann.auth).expect(400);
      await a.http().get('/api/v1/me/activity?before_id=x').set(ann.auth).expect(400);
      // Only the user's own events.
      const bob = await createUser(a);
      expect((await activity(a, bob, '?before_id=' + (ids[0] + 1))).map((e) => e.id)).not.toContain(ids[0]);
    });

    it('records a login by auth token and by QR, and a device moved to another account', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await a.http().post('/api/v1/auth/login').send({ auth_token: ann.authToken }).expect(200);
      await waitForActivity(ann, 'login', (e) => e.details.method === 'auth_token');
      const qr = (await a.http().post('/api/v1/auth/qr').expect(201)).body;
      const browser = track(await qrStream(a, qr));
      await a
        .http()
        .post(`/api/v1/auth/qr/${qr.id}/approve`)
        .set(ann.auth)
        .send({ key: qr.key, check: qr.check })
        .expect(200);
      await browser.next('qr_login');
      await waitForActivity(ann, 'login', (e) => e.details.method === 'qr');
      const token = randomBytes(32).toString('hex');
      await a
        .http()
        .post('/api/v1/devices')
        .set(ann.auth)
        .send({ token, notification_service: 'ios_app' })
        .expect(201);
      await a
        .http()
        .post('/api/v1/devices')
        .set(bob.auth)
        .send({ token, notification_service: 'ios_app' })
        .expect(201);
      await waitForActivity(ann, 'device_moved');
      await waitFor(
        async () =>
          (await activity(a, bob)).find((e) => e.type === 'device_added' && e.details.from_another_account),
        'the device added to bob',
      );
    });
  });
});
