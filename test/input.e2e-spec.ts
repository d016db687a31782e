import { openStream } from './support/friends.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import type { SseClient } from './support/sse-client.js';

/**
 * Strict input: an id is written in decimal digits only, and a JSON body is taken as sent or
 * refused, never quietly changed.
 */
describe('strict input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  /** Ways to write the number `id` that are not its decimal digits. */
  const otherSpellings = (id: number) => [
    `0x${id.toString(16)}`,
    `${id}e0`,
    `0${id}`,
    `+${id}`,
    `%20${id}`,
    `${id}%20`,
    `%09${id}`,
    `${id}.0`,
    `0b${id.toString(2)}`,
  ];

  const expectInvalidParams = (response: { status: number; body: { error?: { code: string } } }) => {
    expect({ status: response.status, code: response.body.error?.code }).toEqual({
      status: 400,
      code: 'invalid_params',
    });
  };

  describe('ids in paths', () => {
    it('answers invalid_params for an id that is not plain decimal digits, on every route that reads one', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await t.http().get(`/api/v1/users/${bob.id}`).expect(200);
      for (const spelling of otherSpellings(bob.id)) {
        expectInvalidParams(await t.http().get(`/api/v1/users/${spelling}`));
        expectInvalidParams(await t.http().get(`/api/v1/users/${spelling}/last-seen`).set(ann.auth));
      }
    });

    it('changes nothing when a contact, a block or a session is named by such an id', async () => {
      const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
      await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: carl.id }).expect(200);
      const second = await createSecondSession(ann);

      for (const spelling of otherSpellings(bob.id)) {
        expectInvalidParams(await t.http().delete(`/api/v1/contacts/${spelling}`).set(ann.auth));
      }
      for (const spelling of otherSpellings(carl.id)) {
        expectInvalidParams(await t.http().delete(`/api/v1/blocks/${spelling}`).set(ann.auth));
      }
      for (const spelling of otherSpellings(second.sessionId)) {
        expectInvalidParams(await t.http().delete(`/api/v1/tokens/sessions/${spelling}`).set(ann.auth));
      }

      const contacts = (await t.http().get('/api/v1/contacts').set(ann.auth).expect(200)).body.users;
      expect(contacts.map((user: { id: number }) => user.id)).toEqual([bob.id]);
      const blocked = (await t.http().get('/api/v1/blocks').set(ann.auth).expect(200)).body.users;
      expect(blocked.map((user: { id: number }) => user.id)).toEqual([carl.id]);
      await t.http().get('/api/v1/me').set(second.auth).expect(200);
    });

    it('still takes an id written in plain digits, also when its digits are percent-encoded', async () => {
      const bob = await createUser(t);
      const encoded = [...String(bob.id)].map((digit) => `%3${digit}`).join('');
      const response = await t.http().get(`/api/v1/users/${encoded}`).expect(200);
      expect(response.body.user.id).toBe(bob.id);
    });
  });

  describe('event ids', () => {
    const streams: SseClient[] = [];
    afterAll(() => streams.forEach((stream) => stream.close()));

    it('asks a stream to resync when Last-Event-ID is not an id it was sent, instead of reading it as a number', async () => {
      const user = await createUser(t);
      const first = await openStream(t, user);
      streams.push(first);
      await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'one' }).expect(200);
      const seen = await first.next('user_updated');
      await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'two' }).expect(200);
      // The event can reach the streams after the change answers (over Redis): once the open
      // stream has it, a stream opened after it could only be sent it as a replay.
      await first.next<{ user: { status_message: string } }>(
        'user_updated',
        (data) => data.user.status_message === 'two',
      );
      first.close();

      for (const spelling of [`0${seen.id}`, `+${seen.id}`, `${seen.id}.0`, `${seen.id}e0`]) {
        const header = await openStream(t, user, { 'Last-Event-ID': spelling });
        streams.push(header);
        await header.next('resync');
        expect(header.of('user_updated')).toEqual([]);
        header.close();
      }
      const query = await openStream(t, user, {}, `&last_event_id=0${seen.id}`);
      streams.push(query);
      await query.next('resync');

      // Its own spelling still resumes.
      const resumed = await openStream(t, user, { 'Last-Event-ID': String(seen.id) });
      streams.push(resumed);
      const replayed = await resumed.next('user_updated');
      expect(replayed.data).toMatchObject({ user: { status_message: 'two' } });
    });
  });

  describe('ids in JSON bodies and RPC arguments', () => {
    it('takes a JSON number only, a positive integer up to 2147483647', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const refused = [
        `"${bob.id}"`,
        `"0x${bob.id.toString(16)}"`,
        `${bob.id}.5`,
        '0',
        '-1',
        '2147483648',
        '9007199254740993',
        '1e400',
        'true',
        'null',
        `[${bob.id}]`,
        `{"id":${bob.id}}`,
      ];
      for (const value of refused) {
        const raw = `{"user_id":${value}}`;
        for (const path of ['/api/v1/contacts', '/api/v1/blocks', '/api/v1/rpc/block_user']) {
          const response = await t
            .http()
            .post(path)
            .set(ann.auth)
            .set('Content-Type', 'application/json')
            .send(raw);
          expectInvalidParams(response);
        }
        const rpc = await t
          .http()
          .post('/api/v1/rpc/get_user')
          .set('Content-Type', 'application/json')
          .send(raw);
        expectInvalidParams(rpc);
      }
      expect((await t.http().get('/api/v1/contacts').set(ann.auth).expect(200)).body.users).toEqual([]);
      expect((await t.http().get('/api/v1/blocks').set(ann.auth).expect(200)).body.users).toEqual([]);

      // The JSON number itself, however JSON writes it.
      const got = await t
        .http()
        .post('/api/v1/rpc/get_user')
        .set('Content-Type', 'application/json')
        .send(`{"user_id":${bob.id}.0}`)
        .expect(200);
      expect(got.body.user.id).toBe(bob.id);
    });
  });

  describe('JSON bodies', () => {
    /** Sends these exact bytes (supertest would serialise a Buffer as JSON). */
    const send = async (
      method: string,
      path: string,
      bytes: string | Buffer,
      headers: Record<string, string>,
    ) => {
      const response = await fetch(`${t.url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: bytes,
      });
      return {
        status: response.status,
        body: (await response.json()) as { error?: { code: string; text: string } },
      };
    };
    const patchMe = (user: TestUser, bytes: string | Buffer, type = 'application/json') =>
      send('PATCH', '/api/v1/me', bytes, { ...user.auth, 'Content-Type': type });
    const statusMessage = async (user: TestUser) =>
      (await t.http().get('/api/v1/me').set(user.auth).expect(200)).body.user.status_message;

    it.each([
      ['__proto__', '{"status_message":"changed","__proto__":{"nick":"Mallory"}}'],
      ['constructor', '{"constructor":{"prototype":{}},"status_message":"changed"}'],
      ['prototype', '{"status_message":"changed","prototype":1}'],
    ])('refuses a field named %s instead of dropping it, and changes nothing', async (key, raw) => {
      const user = await createUser(t);
      expect((await patchMe(user, '{"status_message":"before"}')).status).toBe(200);
      expect(await patchMe(user, raw)).toEqual({
        status: 400,
        body: { error: { code: 'invalid_params', text: `the request body has a field named ${key}` } },
      });
      const rpc = await send('POST', '/api/v1/rpc/update_me', raw, user.auth);
      expectInvalidParams(rpc);
      expect(await statusMessage(user)).toBe('before');
    });

    it('refuses bytes that are not UTF-8 instead of storing replacement characters, and changes nothing', async () => {
      const user = await createUser(t);
      expect((await patchMe(user, '{"status_message":"before"}')).status).toBe(200);
      const bodies = [
        Buffer.concat([Buffer.from('{"status_message":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]),
        // In a field name, and a cut sequence (the first byte of "é" alone).
        Buffer.concat([Buffer.from('{"status_'), Buffer.from([0xc3]), Buffer.from('message":"x"}')]),
      ];
      for (const body of bodies) {
        expect(await patchMe(user, body)).toEqual({
          status: 400,
          body: { error: { code: 'invalid_params', text: 'the request body is not valid UTF-8' } },
        });
      }
      expect(await statusMessage(user)).toBe('before');

      // Registration too: no account is made for a mangled address.
      const email = `x${Date.now()}@example.com`;
      const register = Buffer.concat([
        Buffer.from(`{"email":"${email.slice(0, 1)}`),
        Buffer.from([0xff]),
        Buffer.from(`${email.slice(1)}","password":"Correct-horse-42"}`),
      ]);
      expectInvalidParams(await send('POST', '/api/v1/auth/register', register, {}));
      const mangled = email.slice(0, 1) + '\ufffd' + email.slice(1);
      const reset = await t.http().post('/api/v1/auth/password-reset/request').send({ email: mangled });
      expect(reset.body.error.code).toBe('invalid_email');
    });

    it('takes UTF-8 only: a body in another charset is invalid_params', async () => {
      const user = await createUser(t);
      expect((await patchMe(user, '{"status_message":"before"}')).status).toBe(200);
      const utf16 = Buffer.from('{"status_message":"utf-16"}', 'utf16le');
      expect(await patchMe(user, utf16, 'application/json; charset=utf-16le')).toEqual({
        status: 400,
        body: { error: { code: 'invalid_params', text: 'the request body must be UTF-8' } },
      });
      expect(await statusMessage(user)).toBe('before');
      // UTF-8 text, its charset named or not, is stored as sent.
      const utf8 = Buffer.from('{"status_message":"Grüße ☕"}');
      expect((await patchMe(user, utf8, 'application/json; charset=UTF-8')).status).toBe(200);
      expect(await statusMessage(user)).toBe('Grüße ☕');
    });
  });

  async function createSecondSession(
    user: TestUser,
  ): Promise<{ sessionId: number; auth: { Authorization: string } }> {
    const login = await t
      .http()
      .post('/api/v1/auth/login')
      .set('User-Agent', 'SecondDevice/1.0')
      .send({ email: user.email, password: user.password })
      .expect(200);
    const sessions = (await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200)).body.sessions;
    const session = sessions.find((s: { user_agent: string }) => s.user_agent === 'SecondDevice/1.0');
    return { sessionId: session.id, auth: { Authorization: `Bearer ${login.body.access_token}` } };
  }
});
