import { createECDH, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import webpush from 'web-push';
import { createTestEnvironment, PASSWORD, uniqueEmail, type TestEnvironment } from './support/harness.js';
import { linkIn, readMailFiles } from './support/mails.js';
import {
  runServiceToExit,
  startServiceProcess,
  STARTUP_MS,
  waitForService,
  type ServiceProcess,
} from './support/process.js';

describe('the service as `npm start` runs it', () => {
  let environment: TestEnvironment;
  let service: ServiceProcess;

  beforeAll(async () => {
    environment = await createTestEnvironment({ LOG_LEVEL: 'info' });
    service = await startServiceProcess(environment.vars);
  }, STARTUP_MS + 30_000);
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await environment.dispose();
  });

  it('runs its migrations, serves requests and never logs a token or a password', async () => {
    const email = uniqueEmail('logs');
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${service.url}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await post('/auth/register', { email, password: PASSWORD, auto_login: true })).status).toBe(201);
    const login = (await (await post('/auth/login', { email, password: PASSWORD })).json()) as {
      access_token: string;
      user: { auth_token: string };
    };
    const accessToken: string = login.access_token;
    const authToken: string = login.user.auth_token;
    await fetch(`${service.url}/api/v1/tokens/sessions`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    await fetch(`${service.url}/api/v1/auth/confirm?token=secret-confirmation-token`, { redirect: 'manual' });
    await fetch(`${service.url}/api/v1/events?code=secret-sse-code`);
    await post('/auth/login', { auth_token: authToken });
    // The same secrets with their names (and values) percent-encoded, which the service reads alike.
    const encoded = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const mail = await waitForService(
      service,
      async () => (await readMailFiles(join(environment.dataDir, 'mail'))).find((m) => m.to === email),
      'the confirmation mail',
    );
    const confirmToken = new URL(linkIn(mail, '/auth/confirm')).searchParams.get('token') as string;
    const confirmed = await fetch(`${service.url}/api/v1/auth/confirm?%74oken=${encoded(confirmToken)}`, {
      redirect: 'manual',
    });
    expect(confirmed.headers.get('location')).toContain('email_confirmed=1');
    const qr = (await (await post('/auth/qr', {})).json()) as { id: string; key: string };
    const sseCode = (
      (await (await post('/tokens/sse-code', {}, { Authorization: `Bearer ${accessToken}` })).json()) as {
        code: string;
      }
    ).code;
    const stream = await fetch(`${service.url}/api/v1/events?%63ode=${encoded(sseCode)}`);
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
    const qrStream = await fetch(`${service.url}/api/v1/auth/qr/${qr.id}/events?%6Bey=${qr.key}`);
    expect(qrStream.status).toBe(200);
    await qrStream.body?.cancel();
    await fetch(`${service.url}/api/v1/me?access_token=${accessToken}`);
    await fetch(`${service.url}/api/v1/me?access%5Ftoken=${encoded(accessToken)}`);

    // A request's line is written when its response closes, which can be just after the client has it.
    const output = await waitForService(
      service,
      () => {
        const lines = service.output().match(/"msg":"request (?:completed|closed by the client)"/g) ?? [];
        return lines.length >= 13 && service.output();
      },
      'a log line for each of the 13 requests',
    );
    expect(output).toContain('"url":"/api/v1/auth/confirm?token=[REDACTED]"');
    expect(output).toContain('"url":"/api/v1/events?code=[REDACTED]"');
    expect(output).toContain('"url":"/api/v1/events?%63ode=[REDACTED]"');
    expect(output).toContain(`"url":"/api/v1/auth/qr/${qr.id}/events?%6Bey=[REDACTED]"`);
    expect(output).toContain('"url":"/api/v1/auth/confirm?%74oken=[REDACTED]"');
    expect(output).toContain('"url":"/api/v1/me?access_token=[REDACTED]"');
    const secrets = [
      PASSWORD,
      accessToken,
      authToken,
      sseCode,
      qr.key,
      'secret-confirmation-token',
      'secret-sse-code',
      confirmToken,
    ];
    for (const secret of secrets) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(encoded(secret));
      expect(output).not.toContain(encodeURIComponent(secret));
    }
    // Each request line carries its id.
    expect(output).toMatch(/"req":\{"id":"[\w-]+"/);
  });

  it('shuts down cleanly on SIGTERM, every line logged before it written out', async () => {
    // Lines are written asynchronously: those of requests answered just before the signal are
    // still written before the process ends.
    const ids = Array.from({ length: 200 }, (_, index) => `last-lines-${index}`);
    await Promise.all(
      ids.map((id) => fetch(`${service.url}/api/v1/users/1`, { headers: { 'X-Request-Id': id } })),
    );
    service.child.kill('SIGTERM');
    // Nest closes every module, then re-raises the signal so supervisors see why it ended.
    expect(await service.exited).toBe('SIGTERM');
    expect(service.output()).toContain('"msg":"stopped on SIGTERM"');
    const logged = new Set(service.output().match(/"id":"last-lines-\d+"/g));
    expect(logged.size).toBe(ids.length);
  });

  it(
    'refuses to start with a bad variable, naming it in one line',
    async () => {
      const result = await runServiceToExit({ PASSWORD_RESET_CALLBACK_URL: 'https://app.example/reset?x=1' });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        'configuration error: PASSWORD_RESET_CALLBACK_URL must not have a query part (the token is appended as ?password_reset_token=), got "https://app.example/reset?x=1"',
      );
    },
    STARTUP_MS + 10_000,
  );
});

/** A P-256 key pair whose private key is 31 bytes: a pair, but not one Web Push can sign with. */
function shortKeyPair(): { publicKey: string; privateKey: string } {
  const curve = createECDH('prime256v1');
  curve.setPrivateKey(randomBytes(31));
  return { publicKey: curve.getPublicKey('base64url'), privateKey: curve.getPrivateKey('base64url') };
}

describe('the service with a corrupt VAPID key file kept in DATA_DIR', () => {
  const made = `${JSON.stringify(webpush.generateVAPIDKeys())}\n`;
  it.each([
    ['cut short', made.slice(0, made.length / 2)],
    ['not JSON', 'publicKey=B...\n'],
    ['of keys of the wrong lengths', JSON.stringify(shortKeyPair())],
  ])(
    'refuses to start when the file is %s, in one line naming it and what to do',
    async (_, text) => {
      const environment = await createTestEnvironment();
      try {
        const file = join(environment.dataDir, 'vapid-keys.json');
        await writeFile(file, text, { mode: 0o600 });
        const { code, stdout, stderr } = await runServiceToExit(environment.vars);
        expect(code).toBe(1);
        expect(stdout).toBe('');
        expect(stderr.trim()).toBe(
          `configuration error: ${file} must hold the VAPID key pair this service made (JSON {publicKey, privateKey}, a P-256 pair of 65 and 32 bytes): delete it to make a new pair (browsers subscribed with the old one get no pushes until they subscribe again), or set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY`,
        );
      } finally {
        await environment.dispose();
      }
    },
    STARTUP_MS + 10_000,
  );
});
