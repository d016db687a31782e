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
      first.close();
      await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'two' }).expect(200);

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
