import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createWebhookEndpoint } from './support/admin-cli.js';
import { createTestEnvironment, PASSWORD, uniqueEmail, type TestEnvironment } from './support/harness.js';
import { startServiceProcess, type ServiceProcess } from './support/process.js';
import { verify, WebhookReceiver } from './support/webhook-receiver.js';
import { waitFor } from './support/wait.js';

/**
 * For the describe block it is called in: an environment, a receiver, and the service process its
 * test starts and kills (killed at the end if still running).
 */
function crashDeployment() {
  const state = { service: null } as {
    environment: TestEnvironment;
    receiver: WebhookReceiver;
    service: ServiceProcess | null;
  };
  beforeAll(async () => {
    state.environment = await createTestEnvironment({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    state.receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    if (state.service?.child.exitCode === null) state.service.child.kill('SIGKILL');
    await state.receiver.close();
    await state.environment.dispose();
  });
  return state;
}

/** A request to the running service process, as a client sends it. */
async function call(service: ServiceProcess, path: string, method: string, body: unknown, token?: string) {
  const answer = await fetch(`${service.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

describe('a webhook delivery across kill -9', () => {
  const deployment = crashDeployment();

  it('arrives after a restart, with the same webhook-id, when the service died while sending it', async () => {
    const { environment, receiver } = deployment;
    const secret = await createWebhookEndpoint(environment, receiver.url, 'user.updated,user.created');

    // The receiver holds every request open: the service dies with the try under way.
    receiver.answer = () => 'hold';
    let service = (deployment.service = await startServiceProcess(environment.vars));
    const registered = await call(service, '/auth/register', 'POST', {
      email: uniqueEmail('crash'),
      password: PASSWORD,
      auto_login: true,
    });
    expect(registered.status).toBe(201);
    const nick = `crash${Date.now().toString(36)}`;
    const patched = await call(service, '/me', 'PATCH', { nick }, registered.body.access_token as string);
    expect(patched.status).toBe(200);
    const first = await waitFor(
      () => receiver.of('user.updated', (data) => (data.user as { nick: string }).nick === nick)[0],
      'the first try of user.updated',
      20_000,
    );
    service.child.kill('SIGKILL');
    expect(await service.exited).toBe('SIGKILL');

    receiver.answer = () => 200;
    service = deployment.service = await startServiceProcess(environment.vars);
    // Tried again once the dead instance's hold on it lapses: the same id, body and a valid signature.
    const tries = await waitFor(
      () => receiver.withId(first.id).length >= 2 && receiver.withId(first.id),
      'the try after the restart',
      90_000,
    );
    expect(tries[1].body).toBe(first.body);
    for (const hook of tries) verify(secret, hook);
    // What registration wrote before the crash arrives too.
    await waitFor(() => receiver.of('user.created').length > 0, 'user.created');
    service.child.kill('SIGTERM');
    await service.exited;
  }, 240_000);
});

type Row = Record<string, unknown>;

/** Runs statements on the service's database from outside, as an operator's shell would (SQLite or this file's schema). */
async function onDatabase(environment: TestEnvironment, statements: string[]): Promise<Row[]> {
  if (environment.schema === null) {
    const db = new Database(join(environment.dataDir, 'unichat.sqlite'));
    try {
      db.pragma('busy_timeout = 10000');
      let rows: Row[] = [];
      for (const sql of statements) {
        const statement = db.prepare(sql);
        rows = statement.reader ? (statement.all() as Row[]) : (statement.run(), []);
      }
      return rows;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: environment.vars.DATABASE_URL });
  await client.connect();
  try {
    let rows: Row[] = [];
    for (const sql of statements) rows = (await client.query(sql)).rows as Row[];
    return rows;
  } finally {
    await client.end();
  }
}

describe('a webhook delivery across kill -9 before any send', () => {
  const deployment = crashDeployment();

  const postgres = () => deployment.environment.schema !== null;
  /**
   * Makes every claim of a delivery fail (a trigger refusing updates of webhook_deliveries): the
   * sender cannot take a delivery, so none is sent, however the kill and the sender's timers fall.
   */
  const holdClaims = () =>
    onDatabase(
      deployment.environment,
      postgres()
        ? [
            `CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'claims held by the test'; END $$`,
            `CREATE TRIGGER refuse_claims BEFORE UPDATE ON webhook_deliveries
             FOR EACH ROW EXECUTE FUNCTION refuse_claims()`,
          ]
        : [
            `CREATE TRIGGER refuse_claims BEFORE UPDATE ON webhook_deliveries
             BEGIN SELECT RAISE(ABORT, 'claims held by the test'); END`,
          ],
    );
  const releaseClaims = () =>
    onDatabase(
      deployment.environment,
      postgres()
        ? ['DROP TRIGGER refuse_claims ON webhook_deliveries', 'DROP FUNCTION refuse_claims()']
        : ['DROP TRIGGER refuse_claims'],
    );

  it('arrives after a restart when the service died right after the change committed, before it sent anything', async () => {
    const { environment, receiver } = deployment;
    const secret = await createWebhookEndpoint(environment, receiver.url, 'user.updated');
    await holdClaims();
    let service = (deployment.service = await startServiceProcess(environment.vars));
    const registered = await call(service, '/auth/register', 'POST', {
      email: uniqueEmail('crash'),
      password: PASSWORD,
      auto_login: true,
    });
    const nick = `early${Date.now().toString(36)}`;
    const patched = await call(service, '/me', 'PATCH', { nick }, registered.body.access_token as string);
    expect(patched.status).toBe(200);
    // Committed with the change: there when the answer came.
    const [written] = await onDatabase(environment, [
      "SELECT message_id, attempts, status FROM webhook_deliveries WHERE event_type = 'user.updated'",
    ]);
    expect(written).toMatchObject({ attempts: 0, status: 'pending' });
    service.child.kill('SIGKILL');
    expect(await service.exited).toBe('SIGKILL');
    expect(receiver.received).toEqual([]);

    await releaseClaims();
    service = deployment.service = await startServiceProcess(environment.vars);
    const hook = await waitFor(
      () => receiver.withId(written.message_id as string)[0],
      'the delivery after the restart',
      30_000,
    );
    expect(verify(secret, hook)).toEqual(hook.event);
    expect((hook.event.data.user as { nick: string }).nick).toBe(nick);
    service.child.kill('SIGTERM');
    await service.exited;
  }, 240_000);
});
