import { join } from 'node:path';
import { createTestEnvironment, PASSWORD, uniqueEmail, type TestEnvironment } from './support/harness.js';
import { linkIn, readMailFiles } from './support/mails.js';
import { startServiceProcess, type ServiceProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

describe('a restart of the service', () => {
  let environment: TestEnvironment;
  let service: ServiceProcess | null = null;
  beforeAll(async () => {
    environment = await createTestEnvironment({ LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await environment.dispose();
  });

  it('without JWT_SECRET keeps access tokens and SSE codes working (the secret is kept in DATA_DIR)', async () => {
    const { JWT_SECRET: _given, ...vars } = environment.vars;
    service = await startServiceProcess(vars);
    const email = uniqueEmail('restart');
    const firstOutput = service.output();
    const register = await fetch(`${service.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, auto_login: true }),
    });
    expect(register.status).toBe(201);
    const { access_token: accessToken } = (await register.json()) as { access_token: string };
    // Streams are for confirmed users: the link from the real mail file.
    const mail = await waitFor(
      async () => (await readMailFiles(join(environment.dataDir, 'mail'))).find((m) => m.to === email),
      'the confirmation mail',
    );
    const confirm = await fetch(
      linkIn(mail, '/auth/confirm').replace(/^http:\/\/127\.0\.0\.1/, service.url),
      {
        redirect: 'manual',
      },
    );
    expect(confirm.headers.get('location')).toContain('email_confirmed=1');
    const auth = { Authorization: `Bearer ${accessToken}` };
    const codeAnswer = await fetch(`${service.url}/api/v1/tokens/sse-code`, {
      method: 'POST',
      headers: auth,
    });
    expect(codeAnswer.status).toBe(200);
    const { code } = (await codeAnswer.json()) as { code: string };

    service.child.kill('SIGTERM');
    await service.exited;
    service = await startServiceProcess(vars);

    expect((await fetch(`${service.url}/api/v1/me`, { headers: auth })).status).toBe(200);
    const stream = new AbortController();
    const events = await fetch(`${service.url}/api/v1/events?code=${encodeURIComponent(code)}`, {
      signal: stream.signal,
    });
    expect(events.status).toBe(200);
    stream.abort();
    expect(firstOutput).toMatch(/JWT_SECRET is not set: using the secret made now and kept in \S+jwt-secret/);
    expect(service.output()).toMatch(/JWT_SECRET is not set: using the secret kept in \S+jwt-secret/);
  });
});
