import { signAccessToken } from './support/access-tokens.js';
import { befriend, openStream } from './support/friends.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import { makeImage } from './support/images.js';
import type { SseClient } from './support/sse-client.js';

/** Who a public route sees: a signed-in caller, an anonymous one, or a bad token (refused). */
describe('callers of public routes', () => {
  let t: TestApp;
  const streams: SseClient[] = [];
  beforeAll(async () => {
    t = await startApp(undefined, { PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t.close();
  });

  /** Tokens that are sent and bad: malformed, badly signed, expired, of an ended session. */
  async function badTokens(user: TestUser): Promise<Record<string, string>> {
    const claims = JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString()) as {
      sub: string;
      sid: number;
      ec: boolean;
    };
    const [header, payload] = user.accessToken.split('.');
    const ended = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set('Authorization', `Bearer ${ended.body.access_token}`)
      .send({})
      .expect(200);
    return {
      malformed: 'nonsense',
      'bad signature': `${header}.${payload}.${'A'.repeat(43)}`,
      expired: signAccessToken(t, {
        sub: claims.sub,
        sid: claims.sid,
        ec: claims.ec,
        exp: Math.floor(Date.now() / 1000) - 5,
      }),
      revoked: ended.body.access_token as string,
    };
  }

  it('answers 401 unauthorized to a bad token on GET /users/:id, last seen and RPC get_user, never as anonymous', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    for (const [kind, token] of Object.entries(await badTokens(bob))) {
      const auth = { Authorization: `Bearer ${token}` };
      for (const call of [
        t.http().get(`/api/v1/users/${ann.id}`).set(auth),
        t.http().get(`/api/v1/users/${ann.id}/last-seen`).set(auth),
        t.http().post('/api/v1/rpc/get_user').set(auth).send({ user_id: ann.id }),
        t.http().post('/api/v1/rpc/get_last_seen').set(auth).send({ user_id: ann.id }),
      ]) {
        const response = await call;
        expect([kind, response.status, response.body.error?.code]).toEqual([kind, 401, 'unauthorized']);
      }
    }
  });

  it('lets a client with a stale token log in again, and serves avatar images whatever the header', async () => {
    const user = await createUser(t);
    const { revoked } = await badTokens(user);
    const auth = { Authorization: `Bearer ${revoked}` };
    await t
      .http()
      .post('/api/v1/auth/login')
      .set(auth)
      .send({ email: user.email, password: user.password })
      .expect(200);
    await t
      .http()
      .post('/api/v1/rpc/login')
      .set(auth)
      .send({ email: user.email, password: user.password })
      .expect(200);
    const me = await t
      .http()
      .put('/api/v1/me/avatar')
      .set(user.auth)
      .attach('file', await makeImage(32, 32, 'png'), 'a.png')
      .expect(200);
    const path = new URL(me.body.user.avatar.small).pathname;
    await t.http().get(path).set(auth).expect(200);
  });

  it('shows presence only to signed-in callers: anonymous ones get status, message, online and last seen empty', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await befriend(t, ann, bob);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'at lunch' }).expect(200);
    await t.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'away' }).expect(200);
    streams.push(await openStream(t, ann));

    const seenByBob = (await t.http().get(`/api/v1/users/${ann.id}`).set(bob.auth).expect(200)).body.user;
    expect(seenByBob).toMatchObject({ status: 'away', status_message: 'at lunch', is_online: true });

    const hidden = { status: null, status_message: null, is_online: false, last_seen_at: null };
    expect((await t.http().get(`/api/v1/users/${ann.id}`).expect(200)).body.user).toMatchObject({
      id: ann.id,
      ...hidden,
    });
    expect(
      (await t.http().post('/api/v1/rpc/get_user').send({ user_id: ann.id }).expect(200)).body.user,
    ).toMatchObject(hidden);
    expect((await t.http().get(`/api/v1/users/${ann.id}/last-seen`).expect(200)).body).toEqual({
      user_id: ann.id,
      is_online: false,
      last_seen_at: null,
      last_seen_hint: null,
      seconds_ago: null,
    });
    expect(
      (await t.http().post('/api/v1/rpc/get_last_seen').send({ user_id: ann.id }).expect(200)).body.is_online,
    ).toBe(false);
    expect(
      (await t.http().get(`/api/v1/users/${ann.id}/last-seen`).set(bob.auth).expect(200)).body.is_online,
    ).toBe(true);
  });
});
