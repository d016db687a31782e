import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import { CLI_TEST_MS, createServiceKey, runAdmin } from './support/admin-cli.js';
import { waitFor } from './support/wait.js';
import { createTestEnvironment, startApp, type TestApp, type TestEnvironment } from './support/harness.js';

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
