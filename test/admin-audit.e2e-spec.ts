import { CLI_TEST_MS, runAdmin } from './support/admin-cli.js';
import { createTestEnvironment, PASSWORD, uniqueEmail, type TestEnvironment } from './support/harness.js';
import { startServiceProcess, STARTUP_MS, waitForService, type ServiceProcess } from './support/process.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

interface AuditLine {
  context: string;
  audit: { type: string; action: string; key_id: number | null; key_name: string } & Record<string, unknown>;
}

/** The audit lines an operator's log shipper would read: JSON lines of the context `Audit`. */
function auditLines(output: string): AuditLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"context":"Audit"'))
    .map((line) => JSON.parse(line) as AuditLine);
}

describe('the audit trail of the admin API, as `npm start` logs it', () => {
  let environment: TestEnvironment;
  let service: ServiceProcess;
  let receiver: WebhookReceiver;
  let adminKey: { id: number; auth: Record<string, string> };

  beforeAll(async () => {
    environment = await createTestEnvironment({ LOG_LEVEL: 'info', WEBHOOK_ALLOW_PRIVATE: 'true' });
    receiver = await WebhookReceiver.start();
    const made = await runAdmin(environment, [
      'service-keys',
      'create',
      '--name',
      'support-desk',
      '--scopes',
      'admin',
    ]);
    const key = made.stdout.split('\n').find((line) => line.startsWith('usk_'));
    if (made.code !== 0 || !key) throw new Error(`service-keys create failed: ${made.stderr}`);
    adminKey = {
      id: Number(/service key (\d+)/.exec(made.stderr)![1]),
      auth: { Authorization: `Bearer ${key}` },
    };
    service = await startServiceProcess(environment.vars);
  }, STARTUP_MS + CLI_TEST_MS);
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await receiver?.close();
    await environment?.dispose();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...adminKey.auth },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as Record<string, never>;
  };

  it('writes one audit line naming the key for every change an operator makes, and never a secret', async () => {
    const email = uniqueEmail('audited');
    const registered = await fetch(`${service.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const userId = ((await registered.json()) as { user: { id: number } }).user.id;

    const made = await call('POST', '/admin/service-keys', { name: 'search', scopes: ['users:read'] });
    const keyId = (made.service_key as { id: number }).id;
    await call('POST', `/admin/service-keys/${keyId}/revoke`);
    const created = await call('POST', '/admin/webhooks', {
      url: receiver.url,
      event_types: ['user.deleted'],
    });
    const endpointId = (created.endpoint as { id: number }).id;
    await call('PATCH', `/admin/webhooks/${endpointId}`, { event_types: ['user.disabled'] });
    const rotated = await call('POST', `/admin/webhooks/${endpointId}/rotate-secret`);
    await call('POST', `/admin/webhooks/${endpointId}/test`);
    await call('DELETE', `/admin/webhooks/${endpointId}`);
    const signing = await call('POST', '/admin/signing-keys/rotate');
    await call('POST', `/admin/users/${userId}/disable`);

    const byKey = { type: 'admin_action', key_id: adminKey.id, key_name: 'support-desk' };
    const expected = [
      { ...byKey, action: 'service_keys.create', service_key_id: keyId, scopes: ['users:read'] },
      { ...byKey, action: 'service_keys.revoke', service_key_id: keyId },
      { ...byKey, action: 'webhooks.create', endpoint_id: endpointId, url: receiver.url },
      { ...byKey, action: 'webhooks.update', endpoint_id: endpointId },
      { ...byKey, action: 'webhooks.rotate_secret', endpoint_id: endpointId },
      { ...byKey, action: 'webhooks.test', endpoint_id: endpointId },
      { ...byKey, action: 'webhooks.delete', endpoint_id: endpointId },
      { ...byKey, action: 'signing_keys.rotate', kid: (signing.signing_key as { kid: string }).kid },
      { ...byKey, action: 'disable', user_id: userId },
    ];
    const lines = await waitForService(
      service,
      () => {
        const found = auditLines(service.output()).filter((line) => line.audit.type === 'admin_action');
        return found.length >= expected.length && found;
      },
      'the audit lines of the admin actions',
    );
    expect(lines.map((line) => line.audit)).toEqual(
      expected.map((fields) => expect.objectContaining(fields)),
    );
    const logged = service.output();
    expect(logged).not.toContain(made.key);
    expect(logged).not.toContain(created.secret);
    expect(logged).not.toContain(rotated.secret);
  });
});
