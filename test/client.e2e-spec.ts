import { EventSource } from 'eventsource';
import {
  createUnichatClient,
  type EventMessage,
  openEventStream,
  type UnichatClient,
} from '../client/src/index.js';
import { PASSWORD, startApp, type TestApp, uniqueEmail, waitForMail } from './support/harness.js';
import { linkIn } from './support/mails.js';
import { waitFor } from './support/wait.js';

/** The generated client (client/) against the real service: one user's whole first session. */
describe('generated client', () => {
  let t: TestApp;
  let client: UnichatClient;
  beforeAll(async () => {
    t = await startApp();
    client = createUnichatClient(t.url);
    // Its answers are checked against the API document like supertest's.
    client.use({
      async onResponse({ request, response }) {
        const body = response.headers.get('content-type')?.includes('json')
          ? await response.clone().json()
          : {};
        const headers = Object.fromEntries(response.headers.entries());
        const problem = t.checkAnswer(request.method, request.url, {
          status: response.status,
          headers,
          body,
        });
        if (problem) throw new Error(`OpenAPI: ${problem}`);
        return response;
      },
    });
  });
  afterAll(() => t.close());

  it('registers, confirms, logs in, updates the profile and hears it on the event stream, resuming after a break', async () => {
    const email = uniqueEmail('client');
    const registered = await client.POST('/api/v1/auth/register', {
      body: { email, password: PASSWORD, nick: 'Client Ann' },
    });
    expect(registered.response.status).toBe(201);
    expect(registered.data?.user.confirmed_at).toBeNull();

    const link = new URL(linkIn(await waitForMail(t, email, /Confirm/), '/auth/confirm'));
    const confirmed = await client.GET('/api/v1/auth/confirm', {
      params: { query: { token: link.searchParams.get('token')! } },
      redirect: 'manual',
    });
    expect(confirmed.response.status).toBe(302);
    expect(confirmed.response.headers.get('location')).toContain('email_confirmed=1');

    const wrong = await client.POST('/api/v1/auth/login', { body: { email, password: 'Wrong-horse-42' } });
    expect(wrong.error?.error.code).toBe('auth_failed');
    const login = await client.POST('/api/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(login.data?.user.email).toBe(email);
    client.setAccessToken(login.data!.access_token);

    const updated = await client.PATCH('/api/v1/me', { body: { status_message: 'Hello from the client' } });
    expect(updated.data?.user.status_message).toBe('Hello from the client');

    const code = (await client.POST('/api/v1/tokens/sse-code')).data!.code;
    const received: EventMessage[] = [];
    const stream = openEventStream({
      baseUrl: t.url,
      code,
      EventSource,
      onEvent: (message) => received.push(message),
    });
    try {
      // The stream is open once the user is online (presence is the union of their streams).
      await waitFor(async () => (await client.GET('/api/v1/me')).data?.user.is_online, 'the stream to open');
      await client.PATCH('/api/v1/me', { body: { nick: 'Client Anne' } });
      const first = await waitFor(
        () =>
          received.find(
            (message) => message.event === 'user_updated' && message.data.user.nick === 'Client Anne',
          ),
        'user_updated with the new nick',
      );
      expect(first.id).toBe(stream.lastEventId);

      // A break: the change made meanwhile arrives when the stream resumes after the last id.
      stream.close();
      await client.PATCH('/api/v1/me', { body: { status_message: 'While away' } });
      stream.reopen(code);
      const missed = await waitFor(
        () =>
          received.find(
            (message) =>
              message.event === 'user_updated' && message.data.user.status_message === 'While away',
          ),
        'the missed user_updated after resuming',
      );
      expect(Number(missed.id)).toBeGreaterThan(Number(first.id));
    } finally {
      stream.close();
    }
  });
});
