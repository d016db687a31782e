import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import { CLI_TEST_MS, createServiceKey, runAdmin } from './support/admin-cli.js';
import { startDeployment } from './support/deployment.js';
import { waitFor } from './support/wait.js';
import {
  createTestEnvironment,
  createUser,
  startApp,
  type TestApp,
  type TestEnvironment,
} from './support/harness.js';

describe('service keys from the operator CLI', () => {
  let environment: TestEnvironment;
  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    await environment.dispose();
  });

  it(
    'creates a key printed alone on its own line, lists it without the key, and revokes it',
    async () => {
      const created = await runAdmin(environment, [
        'service-keys',
        'create',
        '--name',
        'messages',
        '--scopes',
        'relations:read,users:read',
      ]);
      expect(created).toMatchObject({ code: 0 });
      const lines = created.stdout.split('\n').filter(Boolean);
      const key = lines.find((line) => line.startsWith('usk_'));
      expect(key).toMatch(/^usk_[A-Za-z0-9_-]{43}$/);
      // The audit line (on stderr) names the operator and never holds the key.
      expect(created.stderr).toContain('"action":"service_keys.create"');
      expect(created.stderr).toContain('"key_name":"cli"');
      expect(created.stderr).not.toContain(key!.slice(4));

      const listed = await runAdmin(environment, ['service-keys', 'list', '--json']);
      expect(listed.code).toBe(0);
      const records = JSON.parse(listed.stdout) as {
        id: number;
        name: string;
        scopes: string[];
        revoked_at: null;
      }[];
      expect(records).toEqual([
        expect.objectContaining({
          name: 'messages',
          scopes: ['relations:read', 'users:read'],
          revoked_at: null,
        }),
      ]);
      expect(listed.stdout).not.toContain(key!.slice(4));

      const revoked = await runAdmin(environment, ['service-keys', 'revoke', String(records[0].id)]);
      expect(revoked.code).toBe(0);
      expect(revoked.stderr).toContain('"action":"service_keys.revoke"');
      const after = JSON.parse((await runAdmin(environment, ['service-keys', 'list', '--json'])).stdout) as {
        revoked_at: string | null;
      }[];
      expect(after[0].revoked_at).toEqual(expect.any(String));
    },
    CLI_TEST_MS,
  );

  it(
    'refuses an unknown scope and names the ones it knows',
    async () => {
      const result = await runAdmin(environment, [
        'service-keys',
        'create',
        '--name',
        'x',
        '--scopes',
        'everything',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('relations:read');
      expect(result.stdout).not.toMatch(/usk_/);
    },
    CLI_TEST_MS,
  );

  it(
    'rotates the signing key (signing-keys rotate): the next key is listed, and an audit line names the operator',
    async () => {
      const rotated = await runAdmin(environment, ['signing-keys', 'rotate']);
      expect(rotated.code).toBe(0);
      const kid = /signing key (\S+) published/.exec(rotated.stdout)?.[1];
      expect(kid).toEqual(expect.any(String));
      expect(rotated.stderr).toContain(
        `"action":"signing_keys.rotate","key_id":null,"key_name":"cli","kid":"${kid}"`,
      );
      const listed = await runAdmin(environment, ['signing-keys', 'list', '--json']);
      expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ kid, state: 'next' }));
    },
    CLI_TEST_MS,
  );

  it(
    'answers not found for a key that does not exist',
    async () => {
      const result = await runAdmin(environment, ['service-keys', 'revoke', '999999']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('no such service key');
    },
    CLI_TEST_MS,
  );
});

describe('what the database keeps of keys', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  beforeAll(async () => {
    environment = await createTestEnvironment({ KEY_PUBLISH_DELAY: '1' });
    t = await startApp(environment);
  });
  afterAll(async () => {
    await t.close();
    await environment.dispose();
  });

  it(
    'holds no service key and no private signing key in clear, in the database file or its -wal',
    async () => {
      const serviceKey = await createServiceKey(environment, 'admin');
      await t
        .http()
        .post('/api/v1/admin/signing-keys/rotate')
        .set('Authorization', `Bearer ${serviceKey}`)
        .expect(201);
      // The private keys as the service holds them in memory (the test's only look inside).
      const keys = t.app.get(SigningKeysService);
      const first = keys.signer();
      // The new key signs after the publish delay (a second here).
      const second = await waitFor(() => {
        const now = keys.signer();
        return now.kid !== first.kid ? now : undefined;
      }, 'the new signing key to sign');
      const secrets: Buffer[] = [Buffer.from(serviceKey), Buffer.from(serviceKey.slice(4))];
      for (const { privateKey: key } of [first, second]) {
        const der = key.export({ format: 'der', type: 'pkcs8' });
        const d = key.export({ format: 'jwk' }).d!;
        secrets.push(der, Buffer.from(der.toString('base64')), Buffer.from(d), Buffer.from(d, 'base64url'));
      }

      // On SQLite: the database file and its -wal, as a copy of DATA_DIR would hold them.
      const files = environment.schema
        ? []
        : ['unichat.sqlite', 'unichat.sqlite-wal'].map((name) => join(environment.dataDir, name));
      const onDisk = Buffer.concat(
        await Promise.all(files.map((file) => readFile(file).catch(() => Buffer.alloc(0)))),
      );
      const rows = Buffer.from(
        JSON.stringify([
          await t.app.get(DataSource).query('SELECT * FROM signing_keys'),
          await t.app.get(DataSource).query('SELECT * FROM service_keys'),
        ]),
      );
      const dump = Buffer.concat([onDisk, rows]);
      // What is kept instead is there: the key's hash (so the scan reads the right bytes).
      const hash = Buffer.from(createHash('sha256').update(serviceKey).digest('hex'));
      expect((environment.schema ? rows : onDisk).includes(hash)).toBe(true);
      for (const secret of secrets) expect(dump.includes(secret)).toBe(false);
    },
    CLI_TEST_MS,
  );
});

describe('service keys through the admin API', () => {
  const deployment = startDeployment();
  let admin: { Authorization: string };
  beforeAll(async () => {
    // The first key comes from the CLI; the admin API makes the others.
    admin = { Authorization: `Bearer ${await createServiceKey(deployment.environment, 'admin', 'ops')}` };
  }, CLI_TEST_MS);

  interface KeyRecord {
    id: number;
    name: string;
    scopes: string[];
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
  }
  const list = async (t: TestApp) =>
    (await t.http().get('/api/v1/admin/service-keys').set(admin).expect(200)).body
      .service_keys as KeyRecord[];

  it('makes a key that works at once on every instance, lists it without its secret, and revokes it at once everywhere', async () => {
    const { a, b } = deployment;
    const user = await createUser(a);
    const made = await a
      .http()
      .post('/api/v1/admin/service-keys')
      .set(admin)
      .send({ name: 'search', scopes: ['users:read'] })
      .expect(201);
    const key = made.body.key as string;
    expect(key).toMatch(/^usk_[A-Za-z0-9_-]{43}$/);
    expect(made.body.service_key).toEqual({
      id: expect.any(Number),
      name: 'search',
      scopes: ['users:read'],
      created_at: expect.any(String),
      last_used_at: null,
      revoked_at: null,
    });
    const bearer = { Authorization: `Bearer ${key}` };
    for (const t of [b, a]) {
      const users = await t.http().get(`/api/v1/service/users?ids=${user.id}`).set(bearer).expect(200);
      expect(users.body.users).toEqual([expect.objectContaining({ id: user.id })]);
    }

    const listed = await list(b);
    expect(listed).toContainEqual({
      ...made.body.service_key,
      last_used_at: expect.any(String),
    });
    expect(JSON.stringify(listed)).not.toContain(key.slice(4));

    const revoked = await b
      .http()
      .post(`/api/v1/admin/service-keys/${made.body.service_key.id}/revoke`)
      .set(admin)
      .expect(200);
    expect(revoked.body.service_key.revoked_at).toEqual(expect.any(String));
    for (const t of [a, b]) {
      const refused = await t.http().get(`/api/v1/service/users?ids=${user.id}`).set(bearer).expect(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
    expect((await list(a)).find((record) => record.id === made.body.service_key.id)?.revoked_at).toBe(
      revoked.body.service_key.revoked_at,
    );
  });

  it('refuses a key without the admin scope with 403 forbidden, and a user token or no key with 401', async () => {
    const { a } = deployment;
    const made = await a
      .http()
      .post('/api/v1/admin/service-keys')
      .set(admin)
      .send({ name: 'relations', scopes: ['relations:read', 'users:read'] })
      .expect(201);
    const reader = { Authorization: `Bearer ${made.body.key}` };
    for (const call of [
      a.http().get('/api/v1/admin/service-keys'),
      a
        .http()
        .post('/api/v1/admin/service-keys')
        .send({ name: 'escalated', scopes: ['admin'] }),
    ]) {
      const answer = await call.set(reader).expect(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
    const user = await createUser(a);
    const asUser = await a.http().get('/api/v1/admin/service-keys').set(user.auth).expect(401);
    expect(asUser.body.error.code).toBe('unauthorized');
    await a.http().post(`/api/v1/admin/service-keys/${made.body.service_key.id}/revoke`).expect(401);
    expect((await list(a)).map((record) => record.name)).not.toContain('escalated');
  });

  it('refuses an unknown scope, no scope and a bad name, and answers not found for an unknown key', async () => {
    const { a } = deployment;
    for (const body of [
      { name: 'x', scopes: ['everything'] },
      { name: 'x', scopes: [] },
      { name: ' ', scopes: ['users:read'] },
      { name: 'x', scopes: ['users:read'], extra: true },
    ]) {
      const answer = await a.http().post('/api/v1/admin/service-keys').set(admin).send(body).expect(400);
      expect(answer.body.error.code).toBe('invalid_params');
    }
    const missing = await a.http().post('/api/v1/admin/service-keys/999999/revoke').set(admin).expect(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});
