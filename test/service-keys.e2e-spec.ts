import { createTestEnvironment, type TestEnvironment } from './support/harness.js';
import { runAdmin } from './support/admin-cli.js';

describe('service keys from the operator CLI', () => {
  let environment: TestEnvironment;
  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    await environment.dispose();
  });

  it('creates a key printed alone on its own line, lists it without the key, and revokes it', async () => {
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
  });

  it('refuses an unknown scope and names the ones it knows', async () => {
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
  });

  it('answers not found for a key that does not exist', async () => {
    const result = await runAdmin(environment, ['service-keys', 'revoke', '999999']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no such service key');
  });
});
