import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createServer } from 'node:net';
import request from 'supertest';
import { type ApnsEmulator, startApnsEmulator } from './support/apns-emulator.js';
import { befriend, openStream } from './support/friends.js';
import { createUser, PASSWORD, startApp, type TestApp } from './support/harness.js';
import { waitFor } from './support/wait.js';

/** The samples of a scrape: `name{labels}` -> value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include every one of `labels`. */
function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, sample] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    const text = brace < 0 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([label, wanted]) => text.includes(`${label}="${wanted}"`)))
      sum += sample;
  }
  return sum;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const SCRAPE_TOKEN = 'scrape-token-0123456789';
const SCRAPER = { Authorization: `Bearer ${SCRAPE_TOKEN}` };

describe('GET /metrics', () => {
  describe('off by default (no token, no port set)', () => {
    let t: TestApp;
    let said: string[];
    beforeAll(async () => {
      const spy = jest.spyOn(Logger.prototype, 'log');
      try {
        t = await startApp();
        said = spy.mock.calls.map((args) => String(args[0]));
      } finally {
        spy.mockRestore();
      }
    });
    afterAll(() => t?.close());

    it('is not served on the API port, so no caller can watch counters move with a contact’s presence', async () => {
      const alice = await createUser(t);
      const bob = await createUser(t);
      await befriend(t, alice, bob);
      // A contact who blocks and unblocks an invisible user must not read a counter that moves.
      const anonymous = await t.http().get('/metrics').expect(404);
      expect(anonymous.body.error.code).toBe('not_found');
      await t.http().get('/metrics').set(bob.auth).expect(404);
      await t.http().get('/metrics').set('X-Forwarded-For', '127.0.0.1').expect(404);
      expect(said.filter((line) => line.includes('/metrics'))).toEqual([
        expect.stringMatching(/off.*METRICS_TOKEN.*METRICS_PORT/),
      ]);
    });
  });

  describe('on the main port for the bearer of METRICS_TOKEN', () => {
    let apns: ApnsEmulator;
    let t: TestApp;
    beforeAll(async () => {
      apns = await startApnsEmulator();
      t = await startApp(undefined, { ...apns.vars, METRICS_TOKEN: SCRAPE_TOKEN });
    });
    afterAll(async () => {
      await t?.close();
      await apns?.close();
    });

    const scrape = async () => {
      const response = await t.http().get('/metrics').set(SCRAPER).expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return parse(response.text);
    };

    it('shows logins, streams, events, pushes and requests move', async () => {
      const alice = await createUser(t);
      const bob = await createUser(t);
      await befriend(t, alice, bob);
      const before = await scrape();

      // A login, a failed one, a stream, an event on it, a push.
      await t.http().post('/api/v1/auth/login').send({ email: alice.email, password: PASSWORD }).expect(200);
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: alice.email, password: 'Wrong-password-1' })
        .expect(401);
      const stream = await openStream(t, bob);
      await t.http().patch('/api/v1/me').set(alice.auth).send({ status_message: 'counted' }).expect(200);
      await stream.next('user_updated');
      const device = randomBytes(32).toString('hex');
      await t
        .http()
        .post('/api/v1/devices')
        .set(alice.auth)
        .send({ token: device, notification_service: 'ios_app' });
      await t.http().post('/api/v1/devices/test-push').set(alice.auth).expect(200);
      await apns.waitForPushes(device, 1);

      const after = await scrape();
      const grew = (name: string, labels: Record<string, string> = {}) =>
        value(after, name, labels) - value(before, name, labels);
      expect(grew('unichat_logins_total', { method: 'password', outcome: 'success' })).toBe(1);
      expect(grew('unichat_logins_total', { method: 'password', outcome: 'failure' })).toBe(1);
      expect(value(after, 'unichat_sse_streams_open')).toBe(1);
      expect(value(after, 'unichat_presence_online_users')).toBe(1);
      expect(grew('unichat_sse_events_delivered_total')).toBeGreaterThanOrEqual(1);
      expect(grew('unichat_sse_fanout_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(grew('unichat_push_notifications_total', { outcome: 'accepted' })).toBe(1);
      expect(grew('unichat_http_requests_total', { route: '/api/v1/auth/login', status: '200' })).toBe(1);
      expect(grew('unichat_http_requests_total', { route: '/api/v1/auth/login', status: '401' })).toBe(1);
      expect(
        grew('unichat_http_request_duration_seconds_count', { route: '/api/v1/me', method: 'PATCH' }),
      ).toBe(1);
      // Default Node metrics come along.
      expect(after.has('process_cpu_user_seconds_total')).toBe(true);
      expect(value(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

      stream.close();
      await waitFor(
        async () => value(await scrape(), 'unichat_sse_streams_open') === 0,
        'the stream to close',
      );
    });

    it('labels requests by route pattern, never by path', async () => {
      const alice = await createUser(t);
      await t.http().get(`/api/v1/users/${alice.id}`).expect(200);
      await t.http().get('/api/v1/users/999999').expect(404);
      await t.http().get('/api/v1/no/such/route/for/sure').expect(404);
      const text = (await t.http().get('/metrics').set(SCRAPER).expect(200)).text;
      expect(text).toContain('route="/api/v1/users/:id"');
      expect(text).not.toContain(`/api/v1/users/${alice.id}"`);
      expect(text).not.toContain('/no/such/route');
      expect(
        value(parse(text), 'unichat_http_requests_total', { route: 'unmatched', status: '404' }),
      ).toBeGreaterThan(0);
    });

    it('counts refusals by rate limits', async () => {
      const alice = await createUser(t);
      const before = value(
        parse((await t.http().get('/metrics').set(SCRAPER).expect(200)).text),
        'unichat_rate_limit_refusals_total',
      );
      for (let attempt = 0; attempt < 6; attempt += 1) {
        await t.http().post('/api/v1/auth/login').send({ email: alice.email, password: 'Wrong-password-1' });
      }
      const after = value(
        parse((await t.http().get('/metrics').set(SCRAPER).expect(200)).text),
        'unichat_rate_limit_refusals_total',
        {
          route: '/api/v1/auth/login',
        },
      );
      expect(after - before).toBeGreaterThanOrEqual(1);
    });
  });

  describe('with METRICS_TOKEN', () => {
    let t: TestApp;
    const token = SCRAPE_TOKEN;
    beforeAll(async () => (t = await startApp(undefined, { METRICS_TOKEN: token })));
    afterAll(() => t?.close());

    it('answers only the bearer of the token', async () => {
      const user = await createUser(t);
      const refused = await t.http().get('/metrics').expect(401);
      expect(refused.body.error.code).toBe('unauthorized');
      await t.http().get('/metrics').set('Authorization', 'Bearer not-the-token').expect(401);
      await t.http().get('/metrics').set(user.auth).expect(401);
      const scraped = await t.http().get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
      expect(scraped.text).toContain('unichat_http_requests_total');
    });
  });

  describe('with METRICS_PORT', () => {
    let t: TestApp;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      t = await startApp(undefined, { METRICS_PORT: String(port) });
    });
    afterAll(() => t?.close());

    it('serves the metrics on that port only', async () => {
      await createUser(t);
      const main = await t.http().get('/metrics').expect(404);
      expect(main.body.error.code).toBe('not_found');
      const scraped = await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200);
      expect(value(parse(scraped.text), 'unichat_logins_total', { outcome: 'success' })).toBe(1);
      await request(`http://127.0.0.1:${port}`).get('/api/v1/me').expect(404);
    });
  });
});
