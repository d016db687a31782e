import type { IncomingHttpHeaders } from 'node:http';
import request from 'supertest';
import { sseCode } from './support/friends.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

/** The headers of an answer but those that differ between any two answers (the time, the request id). */
function lasting(headers: IncomingHttpHeaders | Record<string, string>): Record<string, unknown> {
  const { date: _date, 'x-request-id': _id, ...rest } = headers as Record<string, unknown>;
  return rest;
}

const METRICS_TOKEN = 'front-door-scrape-token';

/** The count of answers of a route with a status, from a scrape of /metrics. */
async function answered(t: TestApp, route: string, status: number): Promise<number> {
  const text = (await t.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200))
    .text;
  const line = text
    .split('\n')
    .find(
      (sample) =>
        sample.startsWith('unichat_http_requests_total{') &&
        sample.includes(`route="${route}"`) &&
        sample.includes(`status="${status}"`),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

// The front door answers the plain shape of GET /users/:id, GET /users, GET /me and GET /events before the
// framework; a request of another shape takes the framework's way. A client cannot tell which.
describe('the hot routes answer the same on both ways through the service', () => {
  let t: TestApp;
  let ann: TestUser;
  const origin = { Origin: 'https://app.example.com' };
  const streams: SseClient[] = [];

  beforeAll(async () => {
    t = await startApp(undefined, { METRICS_TOKEN });
    ann = await createUser(t, { nick: 'Ann Door' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t?.close();
  });

  it('GET /me: the answer to a token used for the first time (the guard checks it) and after it', async () => {
    const second = await createUser(t, { nick: 'Second Door' });
    const first = await t.http().get('/api/v1/me').set(second.auth).set(origin).expect(200);
    const again = await t.http().get('/api/v1/me').set(second.auth).set(origin).expect(200);
    expect(again.body).toEqual(first.body);
    expect(lasting(again.headers)).toEqual(lasting(first.headers));
    // The global layers ran: CORS, helmet, the tag.
    expect(again.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-cache',
    });
    expect(again.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
    await t.http().get('/api/v1/me').set(second.auth).set('If-None-Match', again.headers.etag).expect(304);
  });

  it('GET /users/:id: the same record and headers by either way, anonymous and signed in', async () => {
    for (const caller of [{}, ann.auth]) {
      const plain = await t.http().get(`/api/v1/users/${ann.id}`).set(caller).set(origin).expect(200);
      // A trailing slash matches the same route, in the framework only.
      const framework = await request(t.url)
        .get(`/api/v1/users/${ann.id}/`)
        .set(caller)
        .set(origin)
        .expect(200);
      expect(plain.body).toEqual(framework.body);
      expect(plain.body.user).toMatchObject({ id: ann.id, nick: 'Ann Door' });
      expect(lasting(plain.headers)).toEqual(lasting(framework.headers));
    }
  });

  it('GET /users/:id: refusals come from the framework, in the error envelope', async () => {
    await t
      .http()
      .get('/api/v1/users/2147483647')
      .expect(404, { error: { code: 'not_found', text: `no user with id 2147483647` } });
    const refused = await t
      .http()
      .get(`/api/v1/users/${ann.id}`)
      .set('Authorization', 'Bearer nonsense')
      .expect(401);
    expect(refused.body.error.code).toBe('unauthorized');
    await t.http().get('/api/v1/users/0').expect(400);
  });

  it('GET /users?ids=: the same records, headers and tag by either way, and counted under one route', async () => {
    const bob = await createUser(t, { nick: 'Bob Batch' });
    const ids = `${bob.id},${ann.id},2147483647,${bob.id}`;
    const before = {
      ok: await answered(t, '/api/v1/users', 200),
      notModified: await answered(t, '/api/v1/users', 304),
    };
    const plain = await t.http().get(`/api/v1/users?ids=${ids}`).set(ann.auth).set(origin).expect(200);
    const framework = await request(t.url)
      .get(`/api/v1/users/?ids=${ids}`)
      .set(ann.auth)
      .set(origin)
      .expect(200);
    expect(plain.body).toEqual(framework.body);
    expect(plain.body.users.map((user: { id: number }) => user.id)).toEqual([bob.id, ann.id]);
    expect(lasting(plain.headers)).toEqual(lasting(framework.headers));
    expect(plain.headers).toMatchObject({
      'cache-control': 'private, no-cache',
      vary: 'Authorization',
      'x-content-type-options': 'nosniff',
    });
    const tag = plain.headers.etag;
    await t.http().get(`/api/v1/users?ids=${ids}`).set(ann.auth).set('If-None-Match', tag).expect(304);
    await request(t.url).get(`/api/v1/users/?ids=${ids}`).set(ann.auth).set('If-None-Match', tag).expect(304);
    await waitFor(
      async () => (await answered(t, '/api/v1/users', 304)) >= before.notModified + 2,
      'both 304s counted',
    );
    expect(await answered(t, '/api/v1/users', 200)).toBe(before.ok + 2);
    expect(await answered(t, '/api/v1/users', 304)).toBe(before.notModified + 2);
  });

  it('GET /users?nick=: the same people and headers by either way', async () => {
    const found = await Promise.all(
      ['Door Finder One', 'Door Finder Two'].map((nick) => createUser(t, { nick })),
    );
    const plain = await t.http().get('/api/v1/users?nick=door%20f').set(ann.auth).set(origin).expect(200);
    const framework = await request(t.url)
      .get('/api/v1/users/?nick=door%20f')
      .set(ann.auth)
      .set(origin)
      .expect(200);
    expect(plain.body).toEqual(framework.body);
    expect(plain.body.users.map((user: { id: number }) => user.id)).toEqual(found.map((user) => user.id));
    expect(lasting(plain.headers)).toEqual(lasting(framework.headers));
    expect(plain.headers.etag).toBeUndefined();
  });

  it('GET /users: refusals come from the framework, in the error envelope', async () => {
    const refusals: [string, Record<string, string>, number][] = [
      ['/api/v1/users?ids=1', {}, 401],
      ['/api/v1/users?ids=1', { Authorization: 'Bearer nonsense' }, 401],
      ['/api/v1/users?ids=1,x', ann.auth, 400],
      ['/api/v1/users?ids=', ann.auth, 400],
      ['/api/v1/users?ids=1&nick=door', ann.auth, 400],
      ['/api/v1/users?ids=1&ids=2', ann.auth, 400],
      ['/api/v1/users?nick=d', ann.auth, 400],
      [`/api/v1/users?nick=${'d'.repeat(65)}`, ann.auth, 400],
      [`/api/v1/users?ids=${Array.from({ length: 101 }, (_, index) => index + 1).join(',')}`, ann.auth, 400],
      ['/api/v1/users?nick=door&limit=5', ann.auth, 400],
      ['/api/v1/users', ann.auth, 400],
    ];
    for (const [path, headers, status] of refusals) {
      const answer = await t.http().get(path).set(headers).set(origin).expect(status);
      expect(answer.body.error.code).toBe(status === 401 ? 'unauthorized' : 'invalid_params');
      expect(answer.headers['access-control-allow-origin']).toBe('*');
    }
    const unconfirmed = await createUser(t, { confirmed: false });
    for (const path of ['/api/v1/users?ids=1', '/api/v1/users?nick=door']) {
      await t.http().get('/api/v1/me').set(unconfirmed.auth).expect(200);
      const refused = await t.http().get(path).set(unconfirmed.auth).expect(403);
      expect(refused.body.error.code).toBe('email_not_confirmed');
    }
  });

  it('GET /events: a stream opened either way has the same headers, hears the same and is counted', async () => {
    const before = await answered(t, '/api/v1/events', 200);
    const code = await sseCode(t, ann);
    const plain = await SseClient.open(t.url, `/api/v1/events?code=${encodeURIComponent(code)}`, origin);
    const framework = await SseClient.open(t.url, `/api/v1/events/?code=${encodeURIComponent(code)}`, origin);
    streams.push(plain, framework);
    expect([plain.status, framework.status]).toEqual([200, 200]);
    expect(lasting(plain.headers)).toEqual(lasting(framework.headers));
    expect(plain.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(plain.headers['access-control-allow-origin']).toBe('*');
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'through the door' }).expect(200);
    const heard = await Promise.all(
      [plain, framework].map((stream) =>
        stream.next<{ user: { status_message: string | null } }>(
          'user_updated',
          (data) => data.user.status_message === 'through the door',
        ),
      ),
    );
    expect(heard[0].id).toBe(heard[1].id);
    expect(heard[0].data).toEqual(heard[1].data);
    plain.close();
    framework.close();
    // Counted when they end, under the route's own name.
    await waitFor(
      async () => (await answered(t, '/api/v1/events', 200)) >= before + 2,
      'both streams counted',
    );
    expect(await answered(t, '/api/v1/events', 200)).toBe(before + 2);
  });

  it('GET /events: a refused code is the framework’s 401 in the envelope', async () => {
    const refused = await SseClient.open(t.url, '/api/v1/events?code=1.not-a-code', origin);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({
      error: { code: 'unauthorized', text: 'unknown or revoked SSE code' },
    });
    expect(refused.headers['access-control-allow-origin']).toBe('*');
  });
});

// CORS with a list of origins answers each origin on its own (its name and Vary: Origin, or no
// Access-Control-Allow-Origin): the front door's headers follow the request's Origin as the
// framework's do, whichever origin asked before.
describe('the hot routes answer each origin as the framework does', () => {
  let t: TestApp;
  let ann: TestUser;
  const allowed = 'https://app.example.com';

  beforeAll(async () => {
    t = await startApp(undefined, { CORS_ORIGINS: `${allowed},https://admin.example.com` });
    ann = await createUser(t, { nick: 'Ann Origin' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /me and GET /users/:id: the same headers by either way for an allowed origin, another and none', async () => {
    const callers: Record<string, string>[] = [
      { Origin: allowed },
      { Origin: 'https://elsewhere.example.com' },
      {},
      { Origin: 'https://admin.example.com' },
      { Origin: allowed },
    ];
    for (const caller of callers) {
      for (const path of ['/api/v1/me', `/api/v1/users/${ann.id}`]) {
        const plain = await t.http().get(path).set(ann.auth).set(caller).expect(200);
        // A trailing slash matches the same route, in the framework only.
        const framework = await request(t.url).get(`${path}/`).set(ann.auth).set(caller).expect(200);
        expect(lasting(plain.headers)).toEqual(lasting(framework.headers));
        expect(plain.headers['access-control-allow-origin']).toBe(
          caller.Origin?.endsWith('elsewhere.example.com') ? undefined : caller.Origin,
        );
        expect(plain.headers['x-frame-options']).toBe('SAMEORIGIN');
      }
    }
  });
});
