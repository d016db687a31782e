import { CLI_TEST_MS, createServiceKey, runAdmin } from './support/admin-cli.js';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { befriend } from './support/friends.js';
import { createUser, PASSWORD, type TestApp } from './support/harness.js';
import { waitFor } from './support/wait.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe(SEVERAL_INSTANCES ? 'service routes on several instances' : 'service routes', () => {
  // Several instances of one deployment share PostgreSQL and Redis; on SQLite "a" and "b" are one.
  const { a, b, environment } = startDeployment();
  let everything: string;
  beforeAll(async () => {
    everything = await createServiceKey(
      environment,
      'tokens:introspect,relations:read,users:read',
      'messages',
    );
  }, CLI_TEST_MS);

  describe('who may call them', () => {
    it("answers a user's access token 401 on service and admin routes", async () => {
      const user = await createUser(a);
      for (const [method, path] of [
        ['post', '/api/v1/service/introspect'],
        ['post', '/api/v1/service/relations'],
        ['get', '/api/v1/service/users?ids=1'],
        ['get', '/api/v1/admin/signing-keys'],
      ] as const) {
        const call = a.http()[method](path).set(user.auth);
        const answer = method === 'post' ? await call.send({ token: user.accessToken }) : await call;
        expect([path, answer.status, answer.body.error?.code]).toEqual([path, 401, 'unauthorized']);
      }
      const none = await a
        .http()
        .post('/api/v1/service/relations')
        .send({ pairs: [[1, 2]] });
      expect([none.status, none.body.error?.code]).toEqual([401, 'unauthorized']);
    });

    it('answers a service key 401 on user routes, public ones that read the caller included: it is not a user', async () => {
      const user = await createUser(a);
      for (const path of ['/api/v1/me', '/api/v1/contacts', `/api/v1/users/${user.id}`]) {
        const answer = await a.http().get(path).set(bearer(everything));
        expect([path, answer.status, answer.body.error?.code]).toEqual([path, 401, 'unauthorized']);
      }
    });

    it(
      'answers a key without the scope 403 forbidden, and an unknown or revoked key 401',
      async () => {
        const readUsers = await createServiceKey(environment, 'users:read', 'directory');
        const refused = await a
          .http()
          .post('/api/v1/service/relations')
          .set(bearer(readUsers))
          .send({ pairs: [[1, 2]] });
        expect([refused.status, refused.body.error?.code]).toEqual([403, 'forbidden']);
        const admin = await a.http().get('/api/v1/admin/signing-keys').set(bearer(readUsers));
        expect([admin.status, admin.body.error?.code]).toEqual([403, 'forbidden']);
        await a.http().get('/api/v1/service/users?ids=1').set(bearer(readUsers)).expect(200);

        const unknown = await a
          .http()
          .get('/api/v1/service/users?ids=1')
          .set(bearer(`usk_${'x'.repeat(43)}`));
        expect([unknown.status, unknown.body.error?.code]).toEqual([401, 'unauthorized']);

        const listed = JSON.parse(
          (await runAdmin(environment, ['service-keys', 'list', '--json'])).stdout,
        ) as {
          id: number;
          name: string;
          last_used_at: string | null;
        }[];
        const record = listed.find((key) => key.name === 'directory')!;
        expect(record.last_used_at).toEqual(expect.any(String));
        expect((await runAdmin(environment, ['service-keys', 'revoke', String(record.id)])).code).toBe(0);
        for (const t of [a, b]) {
          const revoked = await t.http().get('/api/v1/service/users?ids=1').set(bearer(readUsers));
          expect([revoked.status, revoked.body.error?.code]).toEqual([401, 'unauthorized']);
        }
      },
      CLI_TEST_MS,
    );
  });

  describe('POST /service/introspect', () => {
    const introspect = (t: TestApp, token: string) =>
      t.http().post('/api/v1/service/introspect').set(bearer(everything)).send({ token }).expect(200);

    it('answers active with the user, session and expiry for a live token, on every instance', async () => {
      const user = await createUser(a);
      for (const t of [a, b]) {
        const answer = await introspect(t, user.accessToken);
        expect(answer.body).toEqual({
          active: true,
          user_id: user.id,
          session_id: expect.any(Number),
          expires_at: expect.any(String),
        });
        expect(Date.parse(answer.body.expires_at)).toBeGreaterThan(Date.now());
      }
    });

    it('answers active: false at once after a logout, on both instances', async () => {
      const user = await createUser(a);
      await introspect(b, user.accessToken);
      await a.http().post('/api/v1/auth/logout').set(user.auth).expect(200);
      for (const t of [b, a]) expect((await introspect(t, user.accessToken)).body).toEqual({ active: false });
    });

    it('answers active: false, never an error, for a token that is not one of ours', async () => {
      const user = await createUser(a);
      const [header, payload] = user.accessToken.split('.');
      for (const token of ['', 'nonsense', `${header}.${payload}.AAAA`, everything]) {
        expect((await introspect(a, token)).body).toEqual({ active: false });
      }
    });
  });

  describe('POST /service/relations', () => {
    const relations = async (t: TestApp, pairs: [number, number][]) =>
      (await t.http().post('/api/v1/service/relations').set(bearer(everything)).send({ pairs }).expect(200))
        .body.relations as Record<string, unknown>[];

    it('tells contacts and friends, and lets anyone write to anyone with no block between them', async () => {
      const [ann, bob, cid] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      await a.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: cid.id }).expect(200);
      expect(
        await relations(b, [
          [ann.id, bob.id],
          [ann.id, cid.id],
          [cid.id, ann.id],
        ]),
      ).toEqual([
        {
          from: ann.id,
          to: bob.id,
          can_message: true,
          blocked_by_from: false,
          blocked_by_to: false,
          contact: true,
          friends: true,
        },
        {
          from: ann.id,
          to: cid.id,
          can_message: true,
          blocked_by_from: false,
          blocked_by_to: false,
          contact: true,
          friends: false,
        },
        {
          from: cid.id,
          to: ann.id,
          can_message: true,
          blocked_by_from: false,
          blocked_by_to: false,
          contact: false,
          friends: false,
        },
      ]);
    });

    it('follows a block and its lifting on both instances, each direction', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      await a.http().post('/api/v1/blocks').set(bob.auth).send({ user_id: ann.id }).expect(200);
      for (const t of [a, b]) {
        const [annToBob, bobToAnn] = await relations(t, [
          [ann.id, bob.id],
          [bob.id, ann.id],
        ]);
        expect(annToBob).toMatchObject({
          can_message: false,
          blocked_by_from: false,
          blocked_by_to: true,
          friends: false,
        });
        expect(bobToAnn).toMatchObject({
          can_message: false,
          blocked_by_from: true,
          blocked_by_to: false,
          friends: false,
        });
      }
      await b.http().delete(`/api/v1/blocks/${ann.id}`).set(bob.auth).expect(200);
      for (const t of [a, b]) {
        for (const relation of await relations(t, [
          [ann.id, bob.id],
          [bob.id, ann.id],
        ])) {
          expect(relation).toMatchObject({
            can_message: true,
            blocked_by_from: false,
            blocked_by_to: false,
            friends: true,
          });
        }
      }
    });

    it('answers can_message false toward and from a deleted account, on both instances', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
      await befriend(a, ann, bob);
      expect((await relations(b, [[ann.id, bob.id]]))[0]).toMatchObject({ can_message: true });
      await a.http().delete('/api/v1/me').set(bob.auth).send({ current_password: PASSWORD }).expect(200);
      for (const t of [a, b]) {
        expect(
          await relations(t, [
            [ann.id, bob.id],
            [bob.id, ann.id],
          ]),
        ).toEqual([
          {
            from: ann.id,
            to: bob.id,
            can_message: false,
            blocked_by_from: false,
            blocked_by_to: false,
            contact: false,
            friends: false,
          },
          {
            from: bob.id,
            to: ann.id,
            can_message: false,
            blocked_by_from: false,
            blocked_by_to: false,
            contact: false,
            friends: false,
          },
        ]);
      }
    });

    it('refuses more than 100 pairs, and pairs that are not two user ids', async () => {
      const pairs = Array.from({ length: 101 }, (_, i) => [i + 1, i + 2]);
      for (const body of [
        { pairs },
        { pairs: [] },
        { pairs: [[1]] },
        { pairs: [[1, '2']] },
        { pairs: [[0, 1]] },
        { pairs: [[1, 2]], more: 1 },
      ]) {
        const answer = await a.http().post('/api/v1/service/relations').set(bearer(everything)).send(body);
        expect([answer.status, answer.body.error?.code]).toEqual([400, 'invalid_params']);
      }
    });
  });

  describe('GET /service/users', () => {
    it('answers users as anybody sees them, with confirmed and disabled, leaving out those that do not exist', async () => {
      const ann = await createUser(a, { nick: `ann${Date.now().toString(36)}` });
      const newcomer = await createUser(a, { confirmed: false });
      const answer = await b
        .http()
        .get(`/api/v1/service/users?ids=${newcomer.id},999999,${ann.id}`)
        .set(bearer(everything))
        .expect(200);
      expect(answer.body.users).toEqual([
        expect.objectContaining({ id: newcomer.id, confirmed: false, disabled: false }),
        expect.objectContaining({ id: ann.id, nick: ann.nick, confirmed: true, disabled: false }),
      ]);
      // As an anonymous caller sees them: no presence.
      expect(answer.body.users[1]).toMatchObject({ is_online: false, status: null, last_seen_at: null });
    });

    it('refuses more than 100 ids, or ids that are not ids', async () => {
      const many = Array.from({ length: 101 }, (_, i) => i + 1).join(',');
      for (const ids of [many, '1,x', '0', '']) {
        const answer = await a.http().get(`/api/v1/service/users?ids=${ids}`).set(bearer(everything));
        expect([ids, answer.status, answer.body.error?.code]).toEqual([ids, 400, 'invalid_params']);
      }
    });
  });
});

describe('an access token that expired', () => {
  const TTL_SECONDS = 30;
  const deployment = startDeployment({ vars: { ACCESS_TOKEN_TTL: String(TTL_SECONDS) } });
  let key: string;
  beforeAll(async () => {
    key = await createServiceKey(deployment.environment, 'tokens:introspect', 'messages');
  }, CLI_TEST_MS);

  const introspect = (t: TestApp, token: string) =>
    t.http().post('/api/v1/service/introspect').set(bearer(key)).send({ token }).expect(200);

  it(
    'introspects as active: false, not an error, once its expiry has passed, on every instance',
    async () => {
      const { a, b } = deployment;
      const user = await createUser(a);
      const live = await introspect(b, user.accessToken);
      expect(live.body.active).toBe(true);
      const expiresAt = Date.parse(live.body.expires_at);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_SECONDS * 1000);
      // The session stays live: only the token's own lifetime ends. Waits for that known time.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now())));
      await waitFor(
        async () => (await introspect(b, user.accessToken)).body.active === false,
        'the token to count as expired',
        30_000,
      );
      for (const t of [a, b]) expect((await introspect(t, user.accessToken)).body).toEqual({ active: false });
      await a.http().get('/api/v1/me').set(user.auth).expect(401);
    },
    (TTL_SECONDS + 90) * 1000,
  );
});
