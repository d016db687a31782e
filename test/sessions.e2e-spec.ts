import { signAccessToken } from './support/access-tokens.js';
import { DataSource } from 'typeorm';
import { Session } from '../src/sessions/session.entity.js';
import {
  anotherSession,
  createTestEnvironment,
  createUser,
  resetPasswordByMail,
  startApp,
  type TestApp,
  type TestUser,
} from './support/harness.js';
import { streamOfCode } from './support/friends.js';
import type { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

/** What ending a session does: its SSE code and the streams opened with it end too. */
describe('ending a session', () => {
  let t: TestApp;
  const streams: SseClient[] = [];
  beforeAll(async () => {
    t = await startApp(undefined, { PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t.close();
  });

  const codeOf = async (auth: { Authorization: string }) =>
    (await t.http().post('/api/v1/tokens/sse-code').set(auth).expect(200)).body.code as string;
  const open = async (code: string) => {
    const stream = await streamOfCode(t, code);
    streams.push(stream);
    return stream;
  };
  const refused = async (code: string) => {
    const response = await t.http().get(`/api/v1/events?code=${encodeURIComponent(code)}`);
    return response.status === 401 && response.body.error.code === 'unauthorized';
  };

  it('gives each session its own SSE code', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const mine = await codeOf(user.auth);
    expect(await codeOf(user.auth)).toBe(mine);
    expect(await codeOf(other.auth)).not.toBe(mine);
  });

  it('logout closes the streams of the session and its code opens no more', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const code = await codeOf(user.auth);
    const stream = await open(code);
    const otherStream = await open(await codeOf(other.auth));
    expect(stream.status).toBe(200);

    await t.http().post('/api/v1/auth/logout').set(user.auth).send({}).expect(200);
    await waitFor(() => stream.ended, 'the stream of the ended session to close', 1000);
    expect(await refused(code)).toBe(true);
    // The user's other session keeps its stream, and it still hears the user's changes.
    await t.http().patch('/api/v1/me').set(other.auth).send({ status_message: 'after logout' }).expect(200);
    await otherStream.next(
      'user_updated',
      (d: { user: { status_message: string } }) => d.user.status_message === 'after logout',
    );
    expect(stream.of('user_updated')).toEqual([]);
  });

  it('ending one session from another closes its streams', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const code = await codeOf(other.auth);
    const stream = await open(code);
    const sessions = (await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200)).body.sessions;
    const target = sessions.find((s: { current: boolean }) => !s.current);
    await t.http().delete(`/api/v1/tokens/sessions/${target.id}`).set(user.auth).expect(200);
    await waitFor(() => stream.ended, 'the stream to close', 1000);
    expect(await refused(code)).toBe(true);
  });

  it('ending all other sessions closes their streams and keeps the caller’s', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const otherCode = await codeOf(other.auth);
    const otherStream = await open(otherCode);
    const ownStream = await open(await codeOf(user.auth));
    await t.http().delete('/api/v1/tokens/sessions').set(user.auth).expect(200);
    await waitFor(() => otherStream.ended, 'the other session’s stream to close', 1000);
    expect(await refused(otherCode)).toBe(true);
    expect(ownStream.ended).toBe(false);
  });

  it('a password change through PATCH /me closes the streams of the other sessions', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const otherCode = await codeOf(other.auth);
    const otherStream = await open(otherCode);
    const ownStream = await open(await codeOf(user.auth));
    await t
      .http()
      .patch('/api/v1/me')
      .set(user.auth)
      .send({ password: 'Changed-pass-42', current_password: user.password })
      .expect(200);
    await waitFor(() => otherStream.ended, 'the other session’s stream to close', 1000);
    expect(await refused(otherCode)).toBe(true);
    expect(ownStream.ended).toBe(false);
    // The stream that stays open gets the record, without the email or mobile of the user leaking elsewhere.
    expect(otherStream.of('user_updated')).toEqual([]);
  });

  it('a password reset closes every stream of the user and every code stops working', async () => {
    const user: TestUser = await createUser(t);
    const other = await anotherSession(t, user);
    const codes = [await codeOf(user.auth), await codeOf(other.auth)];
    const opened = [await open(codes[0]), await open(codes[1])];
    await resetPasswordByMail(t, user, 'Another-pass-77');
    await waitFor(() => opened.every((stream) => stream.ended), 'every stream to close', 1000);
    for (const code of codes) expect(await refused(code)).toBe(true);
  });
});

describe('a revoked access token', () => {
  it('stays refused after a restart with a shorter ACCESS_TOKEN_TTL', async () => {
    const environment = await createTestEnvironment({ ACCESS_TOKEN_TTL: '3600' });
    let t = await startApp(environment);
    try {
      const user = await createUser(t);
      await t.http().get('/api/v1/me').set(user.auth).expect(200);
      await t.http().post('/api/v1/auth/logout').set(user.auth).send({}).expect(200);
      // Ten minutes pass: the token (an hour long) is still unexpired.
      const sessions = t.app.get(DataSource).getRepository(Session);
      await sessions.update({ userId: user.id }, { revokedAt: new Date(Date.now() - 10 * 60_000) });
      await t.close();
      t = await startApp(environment, { ACCESS_TOKEN_TTL: '60' });
      const response = await t.http().get('/api/v1/me').set(user.auth);
      expect([response.status, response.body.error?.code]).toEqual([401, 'unauthorized']);
    } finally {
      await t.close();
      await environment.dispose();
    }
  });

  it('without an expiry is refused, though signed with the right key', async () => {
    const t = await startApp();
    try {
      const user = await createUser(t);
      const claims = JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString()) as {
        sub: string;
        sid: number;
        ec: boolean;
      };
      const forever = signAccessToken(t, { sub: claims.sub, sid: claims.sid, ec: claims.ec });
      expect(JSON.parse(Buffer.from(forever.split('.')[1], 'base64url').toString()).exp).toBeUndefined();
      const response = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${forever}`);
      expect([response.status, response.body.error?.code]).toEqual([401, 'unauthorized']);
    } finally {
      await t.close();
    }
  });
});

describe('the auth token in the own record', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is the calling session’s in GET /me, PATCH /me and RPC me / update_me, and logs in', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const me = (await t.http().get('/api/v1/me').set(user.auth).expect(200)).body.user;
    expect(me.auth_token).toBe(user.authToken);
    const patched = await t
      .http()
      .patch('/api/v1/me')
      .set(user.auth)
      .send({ status_message: 'hi' })
      .expect(200);
    expect(patched.body.user.auth_token).toBe(user.authToken);
    const rpcMe = await t.http().post('/api/v1/rpc/me').set(user.auth).send({}).expect(200);
    expect(rpcMe.body.user.auth_token).toBe(user.authToken);
    const rpcUpdate = await t
      .http()
      .post('/api/v1/rpc/update_me')
      .set(user.auth)
      .send({ status_message: 'ho' })
      .expect(200);
    expect(rpcUpdate.body.user.auth_token).toBe(user.authToken);

    const otherToken = (await t.http().get('/api/v1/me').set(other.auth).expect(200)).body.user.auth_token;
    expect(otherToken).toMatch(/^[\w-]{43}$/);
    expect(otherToken).not.toBe(user.authToken);
    const byToken = await t.http().post('/api/v1/auth/login').send({ auth_token: otherToken }).expect(200);
    expect(byToken.body.user.auth_token).toBe(otherToken);
  });

  it('is stored in no form that logs in when copied out of the database', async () => {
    const user = await createUser(t);
    const rows = await t.app
      .get(DataSource)
      .query('SELECT * FROM sessions WHERE user_id = $1'.replace('$1', String(user.id)));
    const stored = rows
      .flatMap((row: Record<string, unknown>) => Object.values(row))
      .filter((v: unknown) => typeof v === 'string');
    expect(stored).not.toContain(user.authToken);
    for (const value of stored as string[]) {
      const response = await t.http().post('/api/v1/auth/login').send({ auth_token: value });
      expect(response.status).not.toBe(200);
    }
  });
});
