import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import { WebhookEndpoint } from '../src/webhooks/webhook-endpoint.entity.js';
import { createServiceKey, runAdmin } from './support/admin-cli.js';
import {
  anotherSession,
  createTestEnvironment,
  createUser,
  PASSWORD,
  startApp,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { dataUrl, makeImage } from './support/images.js';
import { verify, WebhookReceiver } from './support/webhook-receiver.js';
import { waitFor } from './support/wait.js';

const ALL_TYPES = [
  'user.created',
  'user.confirmed',
  'user.updated',
  'user.deleted',
  'user.disabled',
  'user.enabled',
  'session.ended',
  'block.created',
  'block.deleted',
  'contact.added',
  'contact.removed',
];
const METRICS_TOKEN = 'webhook-metrics-token-0123456789';

describe('webhooks', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  let admin: { Authorization: string };
  let usersOnly: { Authorization: string };
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE_MS: '200',
      METRICS_TOKEN,
    });
    admin = { Authorization: `Bearer ${await createServiceKey(environment, 'admin')}` };
    usersOnly = { Authorization: `Bearer ${await createServiceKey(environment, 'users:read')}` };
    t = await startApp(environment);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await environment?.dispose();
  });

  const receiver = async () => {
    const started = await WebhookReceiver.start();
    receivers.push(started);
    return started;
  };

  /** Adds an endpoint through the admin API; its secret is answered once. */
  async function endpoint(
    to: WebhookReceiver,
    eventTypes = ALL_TYPES,
  ): Promise<{ id: number; secret: string }> {
    const answer = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(admin)
      .send({ url: to.url, event_types: eventTypes })
      .expect(201);
    return { id: answer.body.endpoint.id, secret: answer.body.secret };
  }

  const hookFor = (to: WebhookReceiver, type: string, match: (data: Record<string, unknown>) => boolean) =>
    waitFor(() => to.of(type, match)[0], `a ${type} webhook`, 15_000);
  const aboutUser = (user: { id: number }) => (data: Record<string, unknown>) =>
    (data.user as { id: number } | undefined)?.id === user.id || data.user_id === user.id;

  it('signs every delivery so that standardwebhooks verifies it, and tells a user without their email', async () => {
    const hooks = await receiver();
    const { secret } = await endpoint(hooks);
    const ann = await createUser(t);
    const nick = `hooked${Date.now().toString(36)}`;
    await t.http().patch('/api/v1/me').set(ann.auth).send({ nick }).expect(200);

    const created = await hookFor(hooks, 'user.created', aboutUser(ann));
    const confirmed = await hookFor(hooks, 'user.confirmed', aboutUser(ann));
    const updated = await hookFor(
      hooks,
      'user.updated',
      (data) => (data.user as { nick: string }).nick === nick,
    );
    expect(confirmed.event.data.user).toMatchObject({ id: ann.id, confirmed: true });
    expect(updated.event).toEqual({
      type: 'user.updated',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        user: { id: ann.id, nick, avatar: null, confirmed: true, created_at: expect.any(String) },
      },
    });
    for (const hook of [created, confirmed, updated]) {
      expect(verify(secret, hook)).toEqual(hook.event);
      expect(hook.id).toMatch(/^msg_/);
      expect(hook.body).not.toContain(ann.email);
      expect(hook.body).not.toMatch(/email|password|token/);
    }
    expect(() => verify(`whsec_${Buffer.from('another secret').toString('base64')}`, updated)).toThrow();
  });

  it('tells each profile change with the user as the change left them: nick, avatar set and removed', async () => {
    const hooks = await receiver();
    await endpoint(hooks, ['user.updated']);
    const ann = await createUser(t);
    // What the delivery must tell after each change: the own record's public fields.
    const toldAsNow = async () => {
      const { user } = (await t.http().get('/api/v1/me').set(ann.auth).expect(200)).body;
      const expected = {
        id: ann.id,
        nick: user.nick,
        avatar: user.avatar,
        confirmed: true,
        created_at: user.created_at,
      };
      const hook = await hookFor(hooks, 'user.updated', (data) => isDeepStrictEqual(data.user, expected));
      expect(hook.event.data.user).toEqual(expected);
      return expected;
    };

    const nick = `pictured${Date.now().toString(36)}`;
    const image = dataUrl(await makeImage(300, 200, 'png'));
    await t.http().patch('/api/v1/me').set(ann.auth).send({ nick, avatar: image }).expect(200);
    const pictured = await toldAsNow();
    expect(pictured).toMatchObject({ nick, avatar: { full: expect.stringMatching(/avatars/) } });

    await t
      .http()
      .put('/api/v1/me/avatar')
      .set(ann.auth)
      .attach('file', await makeImage(400, 300, 'jpeg'), { filename: 'me.jpg', contentType: 'image/jpeg' })
      .expect(200);
    const replaced = await toldAsNow();
    expect(replaced.avatar).not.toEqual(pictured.avatar);

    await t.http().delete('/api/v1/me/avatar').set(ann.auth).expect(200);
    expect(await toldAsNow()).toMatchObject({ nick, avatar: null });
  });

  it('tells contacts, blocks, ended sessions and deletions, each only to the endpoints subscribed to it', async () => {
    const everything = await receiver();
    const deletionsOnly = await receiver();
    const { secret } = await endpoint(everything);
    await endpoint(deletionsOnly, ['user.deleted']);
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const pair = { user_id: ann.id, contact_id: bob.id };
    const block = { blocker_id: ann.id, blocked_id: bob.id };
    const samePair = (expected: Record<string, number>) => (data: Record<string, unknown>) =>
      Object.entries(expected).every(([key, value]) => data[key] === value);

    await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
    expect((await hookFor(everything, 'contact.added', samePair(pair))).event.data).toEqual(pair);
    await t.http().delete(`/api/v1/contacts/${bob.id}`).set(ann.auth).expect(200);
    await hookFor(everything, 'contact.removed', samePair(pair));
    // Added again within the hour: no second notification to Bob, but the relation changed again.
    await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
    await waitFor(
      () => everything.of('contact.added', samePair(pair)).length === 2,
      'the second contact.added',
    );

    await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
    expect((await hookFor(everything, 'block.created', samePair(block))).event.data).toEqual(block);
    await t.http().delete(`/api/v1/blocks/${bob.id}`).set(ann.auth).expect(200);
    await hookFor(everything, 'block.deleted', samePair(block));

    const other = await anotherSession(t, ann);
    await t.http().post('/api/v1/auth/logout').set(other.auth).send({}).expect(200);
    const ended = await hookFor(everything, 'session.ended', aboutUser(ann));
    expect(ended.event.data).toEqual({ user_id: ann.id, session_id: expect.any(Number) });

    await t.http().delete('/api/v1/me').set(ann.auth).send({ current_password: PASSWORD }).expect(200);
    const deleted = await hookFor(deletionsOnly, 'user.deleted', aboutUser(ann));
    expect(deleted.event.data).toEqual({ user_id: ann.id });
    await hookFor(everything, 'user.deleted', aboutUser(ann));
    expect(deletionsOnly.received.map((hook) => hook.event.type)).toEqual(['user.deleted']);
    for (const hook of everything.received) verify(secret, hook);
  });

  it('writes nothing for a change that failed', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const hooks = await receiver();
    const { id } = await endpoint(hooks, ['user.updated']);
    const taken = `taken${Date.now().toString(36)}`;
    const kept = `kept${Date.now().toString(36)}`;
    await t.http().patch('/api/v1/me').set(bob.auth).send({ nick: taken }).expect(200);
    await t
      .http()
      .patch('/api/v1/me')
      .set(ann.auth)
      .send({ nick: taken, status_message: 'lost' })
      .expect(409);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ nick: kept }).expect(200);
    await hookFor(hooks, 'user.updated', (data) => (data.user as { nick: string }).nick === kept);
    const listed = await waitFor(async () => {
      const { deliveries } = (await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries`).set(admin)).body;
      return (
        (deliveries as ReceivedDelivery[]).every((delivery) => delivery.status === 'delivered') && deliveries
      );
    }, 'every delivery delivered');
    // Bob's change and Ann's second: the refused one wrote no delivery.
    expect(listed).toHaveLength(2);
    expect(hooks.of('user.updated', aboutUser(ann))).toHaveLength(1);
  });

  it('tries again with the same webhook-id when the receiver answered 500', async () => {
    const ann = await createUser(t);
    const hooks = await receiver();
    hooks.answer = (_hook, seen) => (seen === 1 ? 500 : 204);
    const { id, secret } = await endpoint(hooks, ['user.updated']);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'retry me' }).expect(200);
    const first = await hookFor(hooks, 'user.updated', aboutUser(ann));
    const tries = await waitFor(
      () => hooks.withId(first.id).length >= 2 && hooks.withId(first.id),
      'a second try',
    );
    expect(tries.map((hook) => hook.body)).toEqual([first.body, first.body]);
    for (const hook of tries) verify(secret, hook);
    const done = await waitFor(async () => {
      const [latest] = (await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries`).set(admin)).body
        .deliveries;
      return latest?.status === 'delivered' && latest;
    }, 'the delivery recorded as delivered');
    expect(done).toMatchObject({
      message_id: first.id,
      event_type: 'user.updated',
      attempts: 2,
      last_status_code: 204,
      next_attempt_at: null,
    });
  });

  it('disables an endpoint that answered 410, and sends it nothing more', async () => {
    const ann = await createUser(t);
    const gone = await receiver();
    gone.answer = () => 410;
    const witness = await receiver();
    const { id } = await endpoint(gone, ['user.updated']);
    await endpoint(witness, ['user.updated']);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'one' }).expect(200);
    await waitFor(
      async () =>
        (await t.http().get(`/api/v1/admin/webhooks/${id}`).set(admin)).body.endpoint.enabled === false,
      'the endpoint disabled',
    );
    const { endpoint: disabled } = (await t.http().get(`/api/v1/admin/webhooks/${id}`).set(admin).expect(200))
      .body;
    expect(disabled).toMatchObject({
      enabled: false,
      disabled_reason: 'gone',
      disabled_at: expect.any(String),
    });
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'two' }).expect(200);
    await waitFor(
      () => witness.of('user.updated', aboutUser(ann)).length === 2,
      'both changes at the witness',
    );
    expect(gone.received).toHaveLength(1);
    // Enabled again by the operator, it receives what happens next.
    await t.http().patch(`/api/v1/admin/webhooks/${id}`).set(admin).send({ enabled: true }).expect(200);
    gone.answer = () => 200;
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'three' }).expect(200);
    await waitFor(() => gone.received.length === 2, 'a delivery after enabling');
  });

  it('tells user.disabled and user.enabled when an operator disables and enables an account', async () => {
    const hooks = await receiver();
    const { secret } = await endpoint(hooks, ['user.disabled', 'user.enabled']);
    const ann = await createUser(t);
    await t.http().post(`/api/v1/admin/users/${ann.id}/disable`).set(admin).expect(200);
    const disabled = await hookFor(hooks, 'user.disabled', aboutUser(ann));
    expect(disabled.event.data).toEqual({ user: expect.objectContaining({ id: ann.id }) });
    await t.http().post(`/api/v1/admin/users/${ann.id}/enable`).set(admin).expect(200);
    const enabled = await hookFor(hooks, 'user.enabled', aboutUser(ann));
    expect(enabled.event.data).toEqual({ user: expect.objectContaining({ id: ann.id }) });
    for (const hook of [disabled, enabled]) {
      expect(verify(secret, hook)).toEqual(hook.event);
      expect(hook.body).not.toContain(ann.email);
    }
    // Enabling an account that is not disabled changes nothing, and tells nothing.
    await t.http().post(`/api/v1/admin/users/${ann.id}/enable`).set(admin).expect(200);
    await t.http().post(`/api/v1/admin/users/${ann.id}/disable`).set(admin).expect(200);
    await waitFor(() => hooks.of('user.disabled', aboutUser(ann)).length === 2, 'the second user.disabled');
    expect(hooks.received.map((hook) => hook.event.type)).toEqual([
      'user.disabled',
      'user.enabled',
      'user.disabled',
    ]);
  });

  it('counts a receiver that does not answer within 10 s as a failed try, and tries again later with the same id', async () => {
    const ann = await createUser(t);
    const hooks = await receiver();
    const arrivals: number[] = [];
    hooks.answer = (_hook, seen) => (arrivals.push(Date.now()), seen === 1 ? 'hold' : 200);
    const { id } = await endpoint(hooks, ['user.updated']);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'silence' }).expect(200);
    const first = await hookFor(hooks, 'user.updated', aboutUser(ann));
    const latest = async () =>
      (await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries`).set(admin).expect(200)).body
        .deliveries[0] as Record<string, unknown>;
    const timedOut = await waitFor(
      async () => {
        const delivery = await latest();
        return delivery.last_error !== null && delivery;
      },
      'the try to time out',
      30_000,
    );
    expect(timedOut).toMatchObject({
      message_id: first.id,
      status: 'pending',
      attempts: 1,
      last_status_code: null,
      last_error: 'no answer within 10 s',
    });
    const tries = await waitFor(
      () => hooks.withId(first.id).length === 2 && hooks.withId(first.id),
      'a second try',
    );
    expect(tries[1].body).toBe(first.body);
    // The first try was given its 10 s (its clock starts a moment before it arrives here).
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(9_500);
    const done = await waitFor(async () => {
      const delivery = await latest();
      return delivery.status === 'delivered' && delivery;
    }, 'the second try recorded as delivered');
    expect(done).toMatchObject({ attempts: 2, last_status_code: 200 });
  }, 60_000);

  it('signs with both the old and the new secret for a day after a rotation', async () => {
    const ann = await createUser(t);
    const hooks = await receiver();
    const { id, secret: old } = await endpoint(hooks, ['user.updated']);
    const rotated = await t.http().post(`/api/v1/admin/webhooks/${id}/rotate-secret`).set(admin).expect(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    const expires = Date.parse(rotated.body.endpoint.previous_secret_expires_at);
    expect(Math.abs(expires - Date.now() - 24 * 3600_000)).toBeLessThan(60_000);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'rotated' }).expect(200);
    const hook = await hookFor(hooks, 'user.updated', aboutUser(ann));
    expect(hook.signature.split(' ')).toHaveLength(2);
    expect(verify(fresh, hook)).toEqual(hook.event);
    expect(verify(old, hook)).toEqual(hook.event);
  });

  it('sends a test event, and lists the recent deliveries with status and time', async () => {
    const hooks = await receiver();
    const { id, secret } = await endpoint(hooks, ['user.deleted']);
    const queued = await t.http().post(`/api/v1/admin/webhooks/${id}/test`).set(admin).expect(202);
    expect(queued.body.delivery).toMatchObject({ event_type: 'webhook.test', status: 'pending' });
    const hook = await hookFor(hooks, 'webhook.test', (data) => data.endpoint_id === id);
    verify(secret, hook);
    const delivered = await waitFor(async () => {
      const [latest] = (await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries?limit=5`).set(admin)).body
        .deliveries as ReceivedDelivery[];
      return latest?.status === 'delivered' && latest;
    }, 'the test delivery recorded');
    expect(delivered).toMatchObject({
      message_id: hook.id,
      attempts: 1,
      last_status_code: 200,
      last_error: null,
    });
    expect(Date.parse(delivered.delivered_at as string)).toBeGreaterThanOrEqual(
      Date.parse(delivered.created_at),
    );
  });

  it('lets an operator list, change and delete endpoints, and refuses unknown event types', async () => {
    const hooks = await receiver();
    const { id } = await endpoint(hooks, ['user.created']);
    const changed = await t
      .http()
      .patch(`/api/v1/admin/webhooks/${id}`)
      .set(admin)
      .send({ event_types: ['user.deleted', 'block.created'], description: 'moderation' })
      .expect(200);
    expect(changed.body.endpoint).toMatchObject({
      event_types: ['user.deleted', 'block.created'],
      description: 'moderation',
      enabled: true,
    });
    const listed = await t.http().get('/api/v1/admin/webhooks').set(admin).expect(200);
    expect(listed.body.endpoints).toContainEqual(changed.body.endpoint);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    const bad = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(admin)
      .send({ url: hooks.url, event_types: ['user.exploded'] })
      .expect(400);
    expect(bad.body.error.code).toBe('invalid_params');
    await t.http().delete(`/api/v1/admin/webhooks/${id}`).set(admin).expect(200, {});
    expect((await t.http().get(`/api/v1/admin/webhooks/${id}`).set(admin).expect(404)).body.error.code).toBe(
      'not_found',
    );
  });

  it('lets an operator with a shell list, rotate, test and delete endpoints (npm run admin -- webhooks)', async () => {
    const hooks = await receiver();
    const { id } = await endpoint(hooks, ['user.deleted']);
    const cli = (...args: string[]) => runAdmin(environment, ['webhooks', ...args]);
    const listed = await cli('list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({ id, url: hooks.url, enabled: true }),
    );
    expect(listed.stdout).not.toContain('whsec_');
    const rotated = await cli('rotate', String(id));
    const secret = rotated.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    expect(rotated.stderr).toContain('not shown again');
    expect(rotated.stderr).toContain('"action":"webhooks.rotate_secret","key_id":null,"key_name":"cli"');
    expect(rotated.stderr).not.toContain(secret);
    const tested = await cli('test', String(id));
    expect(tested).toMatchObject({ code: 0, stdout: expect.stringContaining('msg_') });
    expect(tested.stderr).toContain('"action":"webhooks.test"');
    // The running service sends what the CLI queued, signed with the new secret.
    const hook = await hookFor(hooks, 'webhook.test', (data) => data.endpoint_id === id);
    expect(verify(secret, hook)).toEqual(hook.event);
    expect(await cli('delete', String(id))).toMatchObject({
      code: 0,
      stderr: expect.stringContaining('"action":"webhooks.delete"'),
    });
    await t.http().get(`/api/v1/admin/webhooks/${id}`).set(admin).expect(404);
    const unknown = await cli('create', '--url', hooks.url, '--events', 'user.exploded');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown webhook event type: user.exploded');
  }, 60_000);

  it('lets an operator with a shell change an endpoint and read its recent deliveries (webhooks update, deliveries)', async () => {
    const hooks = await receiver();
    const { id, secret } = await endpoint(hooks, ['user.deleted']);
    const cli = (...args: string[]) => runAdmin(environment, ['webhooks', ...args]);
    const ann = await createUser(t);

    const changed = await cli('update', String(id), '--events', 'user.updated,user.deleted', '--json');
    expect(changed.code).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ id, event_types: ['user.updated', 'user.deleted'] });
    expect(changed.stderr).toContain('"action":"webhooks.update"');
    expect(changed.stderr).toContain('"key_name":"cli"');
    // The running service hears the change of subscription and sends the new type.
    await waitFor(
      async () => {
        await t
          .http()
          .patch('/api/v1/me')
          .set(ann.auth)
          .send({ status_message: `now ${Date.now()}` });
        await new Promise((resolve) => setTimeout(resolve, 200));
        return hooks.of('user.updated', aboutUser(ann)).length > 0;
      },
      'a user.updated after the update',
      20_000,
    );
    const hook = hooks.of('user.updated', aboutUser(ann))[0];
    verify(secret, hook);

    const disabled = await cli('update', String(id), '--disable');
    expect(disabled).toMatchObject({ code: 0, stdout: expect.stringContaining('disabled (operator)') });
    const state = await t.http().get(`/api/v1/admin/webhooks/${id}`).set(admin).expect(200);
    expect(state.body.endpoint).toMatchObject({ enabled: false, disabled_reason: 'operator' });
    const enabled = await cli('update', String(id), '--enable', '--url', `${hooks.url}/moved`);
    expect(enabled).toMatchObject({ code: 0, stdout: expect.stringContaining(`${hooks.url}/moved`) });
    expect(enabled.stdout).toContain(' enabled');

    const listed = await cli('deliveries', String(id), '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({
        message_id: hook.id,
        event_type: 'user.updated',
        status: 'delivered',
        attempts: 1,
        last_status_code: 200,
        delivered_at: expect.any(String),
      }),
    );
    const table = await cli('deliveries', String(id), '--limit', '1');
    expect(table.stdout.split('\n')[0]).toMatch(/^message_id\s+event_type\s+status\s+attempts/);
    expect(table.stdout.trim().split('\n')).toHaveLength(2);

    const nothing = await cli('update', String(id));
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('say what changes');
  }, 90_000);

  it("answers a user's access token 401 and a key without the admin scope 403", async () => {
    const ann: TestUser = await createUser(t);
    expect((await t.http().get('/api/v1/admin/webhooks').set(ann.auth).expect(401)).body.error.code).toBe(
      'unauthorized',
    );
    expect((await t.http().get('/api/v1/admin/webhooks').set(usersOnly).expect(403)).body.error.code).toBe(
      'forbidden',
    );
  });

  it('counts deliveries by outcome in the metrics', async () => {
    await waitFor(async () => {
      const answer = await fetch(`${t.url}/metrics`, {
        headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
      });
      const text = await answer.text();
      return (
        /unichat_webhook_attempts_total\{outcome="delivered"\} [1-9]/.test(text) &&
        /unichat_webhook_attempts_total\{outcome="retry"\} [1-9]/.test(text) &&
        /unichat_webhook_attempts_total\{outcome="gone"\} [1-9]/.test(text)
      );
    }, 'delivered, retried and gone attempts counted');
  });
});

interface ReceivedDelivery {
  status: string;
  created_at: string;
  delivered_at: string | null;
}

describe('webhook endpoint URLs without WEBHOOK_ALLOW_PRIVATE', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  let admin: { Authorization: string };
  beforeAll(async () => {
    environment = await createTestEnvironment();
    admin = { Authorization: `Bearer ${await createServiceKey(environment, 'admin')}` };
    t = await startApp(environment);
  });
  afterAll(async () => {
    await t?.close();
    await environment?.dispose();
  });

  it.each([
    'http://hooks.example.com/in',
    'https://127.0.0.1:8443/in',
    'https://10.1.2.3/in',
    'https://169.254.169.254/latest',
    'https://[::1]/in',
    'https://localhost/in',
  ])('refuses %s', async (url) => {
    const answer = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(admin)
      .send({ url, event_types: ['user.created'] })
      .expect(400);
    expect(answer.body.error.code).toBe('invalid_params');
  });

  it('takes a public https URL', async () => {
    const answer = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(admin)
      .send({ url: 'https://hooks.example.com/in', event_types: ['user.created'] })
      .expect(201);
    expect(answer.body.secret).toMatch(/^whsec_/);
  });
});

describe('an endpoint failing for five days, on the production retry schedule', () => {
  const DAY_MS = 24 * 3600_000;
  let environment: TestEnvironment;
  let t: TestApp;
  let admin: { Authorization: string };
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    // WEBHOOK_RETRY_BASE_MS at its default (5 s): five days are five days.
    environment = await createTestEnvironment({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    admin = { Authorization: `Bearer ${await createServiceKey(environment, 'admin')}` };
    t = await startApp(environment);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await environment?.dispose();
  });

  const failingEndpoint = async (failingFor: number) => {
    const hooks = await WebhookReceiver.start();
    receivers.push(hooks);
    hooks.answer = () => 500;
    const created = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(admin)
      .send({ url: hooks.url, event_types: ['user.updated'] })
      .expect(201);
    const id = created.body.endpoint.id as number;
    // Days of failed tries cannot pass in a test: the endpoint's record says since when it has
    // failed, as those tries would have left it.
    await t.app
      .get(DataSource)
      .getRepository(WebhookEndpoint)
      .update({ id }, { failingSince: new Date(Date.now() - failingFor) });
    return { id, hooks };
  };
  const endpointOf = async (id: number) =>
    (await t.http().get(`/api/v1/admin/webhooks/${id}`).set(admin).expect(200)).body.endpoint as Record<
      string,
      unknown
    >;
  const deliveriesOf = async (id: number) =>
    (await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries`).set(admin).expect(200)).body
      .deliveries as Record<string, unknown>[];

  it('disables it at its next failed try, and gives up what it still had to receive; one failing for less keeps trying', async () => {
    // Made first, so its confirmation's user.updated goes nowhere: the one change below is the
    // next try (two deliveries close together may be claimed and tried at once).
    const ann = await createUser(t);
    const old = await failingEndpoint(5 * DAY_MS + 60_000);
    const recent = await failingEndpoint(5 * DAY_MS - 3600_000);
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'anyone there?' }).expect(200);

    const disabled = await waitFor(async () => {
      const endpoint = await endpointOf(old.id);
      return endpoint.enabled === false && endpoint;
    }, 'the endpoint failing for five days to be disabled');
    expect(disabled).toMatchObject({ disabled_reason: 'failing', disabled_at: expect.any(String) });
    expect(old.hooks.received).toHaveLength(1);
    const [given] = await deliveriesOf(old.id);
    expect(given).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: 500,
      next_attempt_at: null,
    });

    const tried = await waitFor(async () => {
      const [delivery] = await deliveriesOf(recent.id);
      return delivery?.attempts === 1 && delivery.last_status_code === 500 && delivery;
    }, 'the try to the endpoint failing for less');
    expect(tried).toMatchObject({ status: 'pending', next_attempt_at: expect.any(String) });
    expect(await endpointOf(recent.id)).toMatchObject({ enabled: true, disabled_reason: null });
  });
});
