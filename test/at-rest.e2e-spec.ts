import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { OutboxMail } from '../src/mail/outbox-mail.entity.js';
import {
  createTestEnvironment,
  createUser,
  PASSWORD,
  startApp,
  uniqueEmail,
  waitForMail,
  type TestApp,
  type TestEnvironment,
} from './support/harness.js';
import { linkIn, readMailFiles } from './support/mails.js';
import { freePort, startServiceProcess, type ServiceProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

/** Every row of the outbox as a dump of the database would show it. */
async function dumpOfOutbox(t: TestApp): Promise<string> {
  return JSON.stringify(await t.app.get(DataSource).query('SELECT * FROM mail_outbox'));
}

describe('what the database keeps of a mail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('holds no working link once the mail is delivered, only whom, what and when', async () => {
    const user = await createUser(t);
    await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200);
    const mail = await waitForMail(t, user.email, /Reset your Unichat password/);
    const token = new URL(linkIn(mail, 'password_reset_token=')).searchParams.get('password_reset_token');
    const outbox = t.app.get(DataSource).getRepository(OutboxMail);
    const row = await waitFor(async () => {
      const found = await outbox.findOneBy({ toAddress: user.email, subject: mail.subject });
      return found?.sentAt ? found : undefined;
    }, 'the reset mail marked delivered');

    // What an operator needs is kept; the body with its link is not.
    expect(row).toMatchObject({ toAddress: user.email, subject: 'Reset your Unichat password', attempts: 1 });
    expect(row.createdAt).toBeInstanceOf(Date);
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(row.text).toBe('');
    expect(row.html).toBe('');
    const dump = await dumpOfOutbox(t);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain('password_reset_token=');
    expect(dump).not.toContain('/auth/confirm?token=');

    // The mail itself still works: the link resets the password.
    await t
      .http()
      .post('/api/v1/auth/password-reset')
      .send({ token, password: 'Brand-new-pass-7' })
      .expect(200, {});
  });
});

describe('what the database keeps of a mail given up on', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens there: every attempt fails. The first retry would wait an hour.
    t = await startApp(undefined, {
      SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
      MAIL_RETRY_BASE_MS: '3600000',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('holds no working link after the last attempt failed', async () => {
    const email = uniqueEmail('given-up');
    await t.http().post('/api/v1/auth/register').send({ email, password: PASSWORD }).expect(201);
    const outbox = t.app.get(DataSource).getRepository(OutboxMail);
    const failed = await waitFor(async () => {
      const row = await outbox.findOneBy({ toAddress: email });
      return row?.lastError ? row : undefined;
    }, 'a failed delivery attempt');
    expect(failed.text).toContain('/auth/confirm?token=');
    // Two days of retries later: the next attempt is the last one.
    await outbox.update({ id: failed.id }, { attempts: 59, nextAttemptAt: new Date() });
    const givenUp = await waitFor(async () => {
      const row = await outbox.findOneByOrFail({ id: failed.id });
      return row.failedAt ? row : undefined;
    }, 'the mail given up');
    expect(givenUp).toMatchObject({ toAddress: email, attempts: 60, text: '', html: '' });
    expect(givenUp.lastError).toMatch(/ECONNREFUSED/);
    expect(await dumpOfOutbox(t)).not.toContain('/auth/confirm?token=');
  });
});

describe('files under DATA_DIR', () => {
  let environment: TestEnvironment;
  let service: ServiceProcess | null = null;
  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await environment.dispose();
  });

  it('are readable by the service user only: the database, the mails, the kept secret and their folders', async () => {
    const dataDir = join(environment.dataDir, 'data');
    // Without JWT_SECRET: the secret made at start-up is kept in DATA_DIR too.
    const { JWT_SECRET: _given, ...vars } = environment.vars;
    service = await startServiceProcess({ ...vars, DATA_DIR: dataDir });
    const email = uniqueEmail('modes');
    const register = await fetch(`${service.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(register.status).toBe(201);
    const mailDir = join(dataDir, 'mail');
    const mailFile = await waitFor(
      async () => (await readMailFiles(mailDir)).find((mail) => mail.to === email)?.file,
      'the confirmation mail file',
    );

    const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);
    expect(await modeOf(dataDir)).toBe('700');
    expect(await modeOf(mailDir)).toBe('700');
    expect(await modeOf(join(mailDir, mailFile))).toBe('600');
    expect(await modeOf(join(dataDir, 'jwt-secret'))).toBe('600');
    if (!environment.schema) {
      for (const file of ['unichat.sqlite', 'unichat.sqlite-wal', 'unichat.sqlite-shm']) {
        expect([file, await modeOf(join(dataDir, file))]).toEqual([file, '600']);
      }
    }
    // Nothing else in it is open to others.
    for (const name of await readdir(dataDir)) {
      expect([name, Number.parseInt(await modeOf(join(dataDir, name)), 8) & 0o077]).toEqual([name, 0]);
    }
  });
});
