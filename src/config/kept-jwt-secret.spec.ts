import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';
import { KEPT_JWT_SECRET_FILE, keepJwtSecret } from './kept-jwt-secret.js';

describe('the JWT secret kept in DATA_DIR', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'unichat-secret-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('is made once, owner-only, and read back by every later start', () => {
    const dataDir = join(root, 'data');
    const first = keepJwtSecret(loadConfig({ DATA_DIR: dataDir }));
    expect(first.jwtSecretFrom).toBe('made now');
    expect(first.config.jwtSecret.length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, KEPT_JWT_SECRET_FILE);
    expect(first.jwtSecretFile).toBe(file);
    expect(modeOf(file)).toBe('600');
    expect(modeOf(dataDir)).toBe('700');

    const second = keepJwtSecret(loadConfig({ DATA_DIR: dataDir }));
    expect(second.jwtSecretFrom).toBe('kept');
    expect(second.config.jwtSecret).toBe(first.config.jwtSecret);
    // No draft files are left behind.
    expect(readdirSync(dataDir)).toEqual([KEPT_JWT_SECRET_FILE]);
  });

  it('uses JWT_SECRET when it is set, and then writes nothing', () => {
    const dataDir = join(root, 'data');
    const given = 'a-secret-given-by-the-operator-0123456789';
    const start = keepJwtSecret(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: given }));
    expect(start).toMatchObject({ jwtSecretFrom: 'environment', jwtSecretFile: null });
    expect(start.config.jwtSecret).toBe(given);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('takes the rights of others from a secret file that has them', () => {
    keepJwtSecret(loadConfig({ DATA_DIR: root }));
    const file = join(root, KEPT_JWT_SECRET_FILE);
    chmodSync(file, 0o644);
    keepJwtSecret(loadConfig({ DATA_DIR: root }));
    expect(modeOf(file)).toBe('600');
  });

  it('stops the start, naming the file, when the kept secret is too short', () => {
    writeFileSync(join(root, KEPT_JWT_SECRET_FILE), 'short\n', { mode: 0o600 });
    expect(() => keepJwtSecret(loadConfig({ DATA_DIR: root }))).toThrow(ConfigError);
    expect(() => keepJwtSecret(loadConfig({ DATA_DIR: root }))).toThrow(
      new RegExp(`${KEPT_JWT_SECRET_FILE} must hold a JWT secret of at least 32 characters`),
    );
  });
});
