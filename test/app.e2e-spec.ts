import { connect, type Socket } from 'node:net';
import {
  anotherSession,
  createTestEnvironment,
  createUser,
  startApp,
  type TestApp,
} from './support/harness.js';

describe('the application shell', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('answers liveness and readiness (database, and Redis when configured)', async () => {
    await t.http().get('/health').expect(200, { status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.details.database.status).toBe('up');
    expect(ready.body.details.redis.status).toBe('up');
    expect(ready.body.details.redis.mode).toBe(process.env.REDIS_URL ? undefined : 'in-process');
  });

  it('answers an unknown route with 404 not_found in the error envelope', async () => {
    const response = await t.http().get('/api/v1/no/such/route').expect(404);
    expect(response.body).toEqual({ error: { code: 'not_found', text: 'no such route' } });
  });

  it('answers a known path asked with a method it does not answer 405 method_not_allowed, with Allow', async () => {
    const cases: [string, 'delete' | 'post' | 'put' | 'get', string][] = [
      ['/api/v1/users/1', 'delete', 'GET, HEAD'],
      ['/api/v1/rpc/login', 'put', 'POST'],
      ['/api/v1/me', 'post', 'DELETE, GET, HEAD, PATCH'],
      ['/health', 'post', 'GET, HEAD'],
      ['/api/v1/tokens/sse-code', 'get', 'DELETE, POST'],
    ];
    for (const [path, method, allow] of cases) {
      const response = await t.http()[method](path).expect(405);
      expect(response.headers.allow).toBe(allow);
      expect(response.body.error.code).toBe('method_not_allowed');
    }
  });

  it('answers unknown paths outside the API in the envelope too, and leads the root to the demo page', async () => {
    for (const path of ['/x', '/api', '/health/x', '//api//v1//users//1']) {
      const response = await t.http().get(path).expect(404);
      expect(response.body).toEqual({ error: { code: 'not_found', text: 'no such route' } });
    }
    // Where confirmation links land with the default APP_ROOT_URL.
    await t.http().get('/?email_confirmed=1').expect(302).expect('Location', '/demo?email_confirmed=1');
    await t.http().get('/').expect(302).expect('Location', '/demo');
  });

  it('answers malformed JSON with 400 invalid_params', async () => {
    const response = await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .set('Origin', 'https://app.example')
      .send('{"email": ')
      .expect(400);
    // A browser on another origin can read it.
    expect(response.headers['access-control-allow-origin']).toBe('*');
    // Not the parser's own text, which repeats part of the body.
    expect(response.body.error).toEqual({ code: 'invalid_params', text: 'request body is not valid JSON' });
  });

  it('refuses a body with too many fields, too deep, or with broken Unicode, before validating it', async () => {
    const post = (raw: string) =>
      t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send(raw).expect(400);
    const manyKeys = `{${Array.from({ length: 20_000 }, (_, n) => `"k${n}":0`).join(',')}}`;
    expect((await post(manyKeys)).body.error).toEqual({
      code: 'invalid_params',
      text: 'the request body has more than 1000 fields',
    });
    expect((await post(`{"email":${'['.repeat(3000)}${']'.repeat(3000)}}`)).body.error).toEqual({
      code: 'invalid_params',
      text: 'the request body is nested more than 16 levels deep',
    });
    expect((await post('{"email":"\\ud800@example.com","password":"Correct-horse-42"}')).body.error).toEqual({
      code: 'invalid_params',
      text: 'the request body holds text that is not valid Unicode',
    });
    // PostgreSQL's text columns cannot hold a NUL, in a body or a query.
    expect((await post('{"email":"a\\u0000@example.com","password":"Correct-horse-42"}')).body.error).toEqual(
      {
        code: 'invalid_params',
        text: 'the request body holds a NUL character',
      },
    );
    const user = await createUser(t);
    const search = await t.http().get('/api/v1/users?nick=ab%00').set(user.auth).expect(400);
    expect(search.body.error).toEqual({ code: 'invalid_params', text: 'the query holds a NUL character' });
  });

  it('refuses a body that is not JSON instead of ignoring it, and takes application/merge-patch+json', async () => {
    const user = await createUser(t);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await t
        .http()
        .patch('/api/v1/me')
        .set(user.auth)
        .set('Content-Type', type)
        .send('{"status_message":"ignored?"}')
        .expect(400);
      expect(response.body.error).toEqual({
        code: 'invalid_params',
        text: 'the request body must be application/json',
      });
    }
    const patched = await t
      .http()
      .patch('/api/v1/me')
      .set(user.auth)
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"status_message":"merged"}')
      .expect(200);
    expect(patched.body.user.status_message).toBe('merged');
  });

  it('refuses any field sent to a route that takes no body, and changes nothing', async () => {
    const qr = await t.http().post('/api/v1/auth/qr').send({ user_id: 1 }).expect(400);
    expect(qr.body.error).toEqual({ code: 'invalid_params', text: 'unknown field user_id' });
    await t.http().post('/api/v1/auth/qr').send([1]).expect(400);

    const user = await createUser(t);
    const other = await anotherSession(t, user);
    const ending = await t
      .http()
      .delete('/api/v1/tokens/sessions')
      .set(user.auth)
      .send({ all: true })
      .expect(400);
    expect(ending.body.error).toEqual({ code: 'invalid_params', text: 'unknown field all' });
    // The other session was not ended; an empty body is no body.
    await t.http().get('/api/v1/me').set(other.auth).expect(200);
    await t.http().post('/api/v1/tokens/sse-code').set(user.auth).send({}).expect(200);
  });

  it('answers a body over 4 MB with 413 payload_too_large', async () => {
    const response = await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'x'.repeat(4.5 * 1024 * 1024) }))
      .expect(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('accepts a body of 3 MB (a 2 MB image as base64 fits)', async () => {
    const response = await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'x'.repeat(3 * 1024 * 1024), password: 'whatever-1' }));
    expect(response.status).not.toBe(413);
  });

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const document = await t.http().get('/api/docs-json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/tokens/sessions']),
    );
    const ui = await t.http().get('/api/docs').expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('sets security headers and a request id, and allows cross-origin calls', async () => {
    const response = await t.http().get('/health').set('Origin', 'https://web.example');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-request-id']).toMatch(/^[\w-]+$/);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('keeps idle connections open longer than a load balancer does (65 s), and says so', async () => {
    const response = await fetch(`${t.url}/health`);
    expect(response.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('refuses connections beyond MAX_CONNECTIONS and serves again once one closes', async () => {
    const environment = await createTestEnvironment({ MAX_CONNECTIONS: '2' });
    const small = await startApp(environment);
    const { port } = new URL(small.url);
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => resolve(socket)).on('error', reject);
      });
    const held: Socket[] = [];
    try {
      held.push(await open(), await open());
      // The server takes the third connection and closes it at once, without an answer.
      await expect(fetch(`${small.url}/health`)).rejects.toThrow();
      held.pop()?.destroy();
      let status = 0;
      for (let tries = 0; tries < 50 && status !== 200; tries += 1) {
        status = await fetch(`${small.url}/health`).then(
          (answer) => answer.status,
          () => new Promise<number>((resolve) => setTimeout(() => resolve(0), 20)),
        );
      }
      expect(status).toBe(200);
    } finally {
      held.forEach((socket) => socket.destroy());
      await small.close();
      await environment.dispose();
    }
  });
});
