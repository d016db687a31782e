import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { OutboxMail } from '../src/mail/outbox-mail.entity.js';
import { PASSWORD, startApp, uniqueEmail, type TestApp } from './support/harness.js';
import { parseMail, linkIn, type ReceivedMail } from './support/mails.js';
import { freePort } from './support/process.js';
import { waitFor } from './support/wait.js';

/** A real SMTP server on loopback that keeps what it receives. */
async function startSmtp(port: number, received: ReceivedMail[]): Promise<SMTPServer> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push(parseMail('smtp', Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

describe('mail delivery over SMTP', () => {
  let t: TestApp;
  let port: number;
  let smtp: SMTPServer | null = null;
  const received: ReceivedMail[] = [];

  beforeAll(async () => {
    port = await freePort();
    t = await startApp(undefined, {
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      MAIL_FROM: 'Unichat <hello@unichat.test>',
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => (smtp ? smtp.close(() => resolve(undefined)) : resolve(undefined)));
  });

  it('keeps a mail while the SMTP server is down and delivers it once it is back', async () => {
    const email = uniqueEmail('smtp');
    // The server is not listening yet: the registration still succeeds, the mail waits in the outbox.
    await t.http().post('/api/v1/auth/register').send({ email, password: PASSWORD }).expect(201);
    const outbox = t.app.get(DataSource).getRepository(OutboxMail);
    const failed = await waitFor(
      async () => (await outbox.findOneBy({ toAddress: email }))?.lastError ?? undefined,
      'a failed delivery attempt',
    );
    expect(failed).toMatch(/ECONNREFUSED/);
    expect(received).toHaveLength(0);

    smtp = await startSmtp(port, received);
    const mail = await waitFor(() => received.find((m) => m.to === email), 'the mail over SMTP', 10_000);
    expect(mail.subject).toBe('Confirm your email address for Unichat');
    expect(mail.raw).toMatch(/^From: Unichat <hello@unichat\.test>/m);
    // The whole link survives the trip, and it works.
    const link = new URL(linkIn(mail, '/api/v1/auth/confirm?token='));
    const confirm = await t
      .http()
      .get(link.pathname + link.search)
      .expect(302);
    expect(confirm.headers.location).toContain('email_confirmed=1');
  });

  it('sends each mail once, with a text and an HTML part', async () => {
    smtp ??= await startSmtp(port, received);
    const email = uniqueEmail('once');
    await t.http().post('/api/v1/auth/register').send({ email, password: PASSWORD }).expect(201);
    await waitFor(() => received.find((m) => m.to === email), 'the mail over SMTP', 10_000);
    // Another delivery round must not send it again.
    await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: uniqueEmail('marker'), password: PASSWORD })
      .expect(201);
    await waitFor(() => received.length >= 3, 'the marker mail', 10_000);
    const copies = received.filter((m) => m.to === email);
    expect(copies).toHaveLength(1);
    expect(copies[0].raw).toContain('Content-Type: text/plain');
    expect(copies[0].raw).toContain('Content-Type: text/html');
  });
});
