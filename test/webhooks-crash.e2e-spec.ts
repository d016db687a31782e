import { runAdmin } from './support/admin-cli.js';
import { createTestEnvironment, PASSWORD, uniqueEmail, type TestEnvironment } from './support/harness.js';
import { startServiceProcess, type ServiceProcess } from './support/process.js';
import { verify, WebhookReceiver } from './support/webhook-receiver.js';
import { waitFor } from './support/wait.js';

describe('a webhook delivery across kill -9', () => {
  let environment: TestEnvironment;
  let receiver: WebhookReceiver;
  let service: ServiceProcess | null = null;
  beforeAll(async () => {
    environment = await createTestEnvironment({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await receiver.close();
    await environment.dispose();
  });

  const call = async (path: string, method: string, body: unknown, token?: string) => {
    const answer = await fetch(`${(service as ServiceProcess).url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };

  it('arrives after a restart, with the same webhook-id, when the service died while sending it', async () => {
    const created = await runAdmin(environment, [
      'webhooks',
      'create',
      '--url',
      receiver.url,
      '--events',
      'user.updated,user.created',
    ]);
    expect(created.code).toBe(0);
    const secret = created.stdout.split('\n').find((line) => line.startsWith('whsec_')) as string;
    expect(secret).toMatch(/^whsec_/);

    // The receiver holds every request open: the service dies with the try under way.
    receiver.answer = () => 'hold';
    service = await startServiceProcess(environment.vars);
    const registered = await call('/auth/register', 'POST', {
      email: uniqueEmail('crash'),
      password: PASSWORD,
      auto_login: true,
    });
    expect(registered.status).toBe(201);
    const nick = `crash${Date.now().toString(36)}`;
    const patched = await call('/me', 'PATCH', { nick }, registered.body.access_token as string);
    expect(patched.status).toBe(200);
    const first = await waitFor(
      () => receiver.of('user.updated', (data) => (data.user as { nick: string }).nick === nick)[0],
      'the first try of user.updated',
      20_000,
    );
    service.child.kill('SIGKILL');
    expect(await service.exited).toBe('SIGKILL');

    receiver.answer = () => 200;
    service = await startServiceProcess(environment.vars);
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
