import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { keepJwtSecret } from '../src/config/kept-jwt-secret.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { mailBodyBox } from '../src/mail/mail-body.js';
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
import { freePort, startServiceProcess, waitForService, type ServiceProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

/** Every row of the outbox as a dump of the database would show it. */
async function dumpOfOutbox(t: TestApp): Promise<string> {
  return JSON.stringify(await t.app.get(DataSource).query('SELECT * FROM mail_outbox'));
}

/**
 * The bytes of every file of the SQLite database as they lie on disk now, the -wal before any
 * checkpoint included (a page written there stays until SQLite copies it into the database file).
 * PostgreSQL's files are not ours to read: there the dump above is what is checked.
 */
async function databaseFiles(t: TestApp): Promise<{ wal: Buffer; all: Buffer } | null> {
  const { database } = t.config;
  if (database.kind !== 'sqlite') return null;
  const [main, wal, shm] = await Promise.all(
    ['', '-wal', '-shm'].map((suffix) => readFile(database.file + suffix)),
  );
  return { wal, all: Buffer.concat([main, wal, shm]) };
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
    // Nor any file of the database, the -wal that still holds the page the mail was written to.
    const files = await databaseFiles(t);
    if (files) {
      expect(files.wal.length).toBeGreaterThan(0);
      expect(files.all.includes(token as string)).toBe(false);
      expect(files.all.includes('password_reset_token=')).toBe(false);
    }

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
    // While it waits, its body is sealed: neither a dump nor a file of the database holds the link.
    expect(failed.text).not.toContain('/auth/confirm?token=');
    expect(mailBodyBox(t.config.jwtSecret).openText(failed.text)).toContain('/auth/confirm?token=');
    expect(mailBodyBox(t.config.jwtSecret).openText(failed.html)).toContain('/auth/confirm?token=');
    expect(await dumpOfOutbox(t)).not.toContain('/auth/confirm?token=');
    const files = await databaseFiles(t);
    if (files) {
      expect(files.wal.length).toBeGreaterThan(0);
      expect(files.all.includes('/auth/confirm?token=')).toBe(false);
    }
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

describe('mails waiting from before bodies were sealed', () => {
  it('are sealed at start, then delivered with their link as written', async () => {
    const environment = await createTestEnvironment();
    const { config } = keepJwtSecret(loadConfig(environment.vars));
    // The database as the service left it before: every migration up to now, one mail waiting.
    const before = new DataSource({ ...dataSourceOptions(config), migrations: MIGRATIONS });
    await before.initialize();
    const to = uniqueEmail('waiting');
    const link = 'http://127.0.0.1/api/v1/auth/confirm?token=written-before-sealing';
    const postgres = before.options.type === 'postgres';
    const values = [
      to,
      'Confirm your Unichat address',
      `Open ${link}`,
      `<a href="${link}">confirm</a>`,
      0,
      0,
      0,
    ];
    const marks = values.map((_value, index) => (postgres ? `$${index + 1}` : '?')).join(', ');
    await before.query(
      `INSERT INTO mail_outbox (to_address, subject, text, html, attempts, next_attempt_at, created_at)
       VALUES (${marks})`,
      values,
    );
    await before.destroy();

    // Nothing listens there: the mail stays waiting while its row is looked at.
    const t = await startApp(environment, { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` });
    let delivered: TestApp | null = null;
    try {
      const row = await t.app.get(DataSource).getRepository(OutboxMail).findOneByOrFail({ toAddress: to });
      expect(row.text).not.toContain(link);
      expect(row.html).not.toContain(link);
      expect(mailBodyBox(config.jwtSecret).openText(row.text)).toBe(`Open ${link}`);
      expect(await dumpOfOutbox(t)).not.toContain('written-before-sealing');
      await t.close();
      // Started again with the dev transport, the same mail goes out with its link.
      delivered = await startApp(environment);
      const mail = await waitForMail(delivered, to, /Confirm your Unichat address/);
      expect(linkIn(mail, 'auth/confirm')).toBe(link);
    } finally {
      await t.close();
      await delivered?.close();
      await environment.dispose();
    }
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
    const mailFile = await waitForService(
      service,
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
