import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestEnvironment, PASSWORD, uniqueEmail, type TestEnvironment } from './support/harness.js';
import { startServiceProcess, type ServiceProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

type Row = Record<string, unknown>;

/** Reads the service's database directly, as an operator would after a crash (SQLite or this file's schema). */
async function readDatabase(environment: TestEnvironment, sql: string): Promise<Row[]> {
  if (environment.schema === null) {
    const db = new Database(join(environment.dataDir, 'unichat.sqlite'), { readonly: true });
    try {
      return db.prepare(sql).all() as Row[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: environment.vars.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

describe('kill -9 during concurrent writes', () => {
  let environment: TestEnvironment;
  let service: ServiceProcess | null = null;
  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await environment.dispose();
  });

  const call = (path: string, method: string, body: unknown, token?: string) =>
    fetch(`${(service as ServiceProcess).url}/api/v1${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('leaves every change whole or absent, and the service starts again on the same data', async () => {
    service = await startServiceProcess(environment.vars);
    // Two users who change their profile over and over: each PATCH sets two fields that belong together.
    const editors: { token: string }[] = [];
    for (let n = 0; n < 2; n += 1) {
      const answer = await call('/auth/register', 'POST', {
        email: uniqueEmail('editor'),
        password: PASSWORD,
        auto_login: true,
      });
      editors.push({ token: ((await answer.json()) as { access_token: string }).access_token });
    }
    // Registrations with auto_login: a user, a confirmation token, its mail and a session in one transaction.
    const emails = Array.from({ length: 7 }, () => uniqueEmail('kill9'));
    const answered: string[] = [];
    let edits = 0;
    let killed = false;
    const registrations = emails.map((email) =>
      call('/auth/register', 'POST', { email, password: PASSWORD, auto_login: true })
        .then((answer) => (answer.status === 201 ? answered.push(email) : undefined))
        .catch(() => undefined),
    );
    const editing = editors.map(async ({ token }) => {
      for (let i = 0; !killed; i += 1) {
        await call('/me', 'PATCH', { nick: `Editor ${i}`, status_message: `edit ${i}` }, token)
          .then(() => (edits += 1))
          .catch(() => undefined);
      }
    });
    // In the middle of it: some registrations answered, others and the edits still in flight.
    await waitFor(() => answered.length >= 2 && edits >= 1, 'writes under way', 20_000);
    service.child.kill('SIGKILL');
    killed = true;
    expect(await service.exited).toBe('SIGKILL');
    await Promise.all([...registrations, ...editing]);
    // Killed mid-way: some registrations were still in flight.
    expect(answered.length).toBeLessThan(emails.length);

    // It starts again on the same data, and what it answered before the crash is there.
    service = await startServiceProcess(environment.vars);
    for (const email of answered) {
      const login = await call('/auth/login', 'POST', { email, password: PASSWORD });
      expect([email, login.status]).toEqual([email, 200]);
    }
    service.child.kill('SIGTERM');
    await service.exited;

    // Each registration is whole (user, confirmation token, mail, session) or absent.
    const users = await readDatabase(environment, `SELECT id, email FROM users WHERE email LIKE 'kill9.%'`);
    const tokens = await readDatabase(
      environment,
      `SELECT user_id FROM email_tokens WHERE purpose = 'confirm_email' AND email LIKE 'kill9.%'`,
    );
    const mails = await readDatabase(
      environment,
      `SELECT to_address FROM mail_outbox WHERE to_address LIKE 'kill9.%'`,
    );
    const sessions = await readDatabase(
      environment,
      `SELECT DISTINCT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email LIKE 'kill9.%'`,
    );
    expect(users.length).toBeGreaterThanOrEqual(answered.length);
    const ids = users.map((u) => Number(u.id)).sort((a, b) => a - b);
    expect(tokens.map((row) => Number(row.user_id)).sort((a, b) => a - b)).toEqual(ids);
    expect(sessions.map((row) => Number(row.user_id)).sort((a, b) => a - b)).toEqual(ids);
    expect(mails.map((row) => row.to_address).sort()).toEqual(users.map((u) => u.email).sort());

    // Each profile edit is whole: the nick and the status message come from the same request.
    const profiles = await readDatabase(
      environment,
      `SELECT nick, status_message FROM users WHERE email LIKE 'editor.%'`,
    );
    expect(profiles).toHaveLength(2);
    for (const { nick, status_message: message } of profiles) {
      expect(String(nick).replace('Editor ', '')).toBe(String(message).replace('edit ', ''));
    }
  }, 150_000);
});
