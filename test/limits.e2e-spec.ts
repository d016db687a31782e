import net from 'node:net';
import type { Response } from 'supertest';
import { openStream, sseCode } from './support/friends.js';
import {
  createTestEnvironment,
  createUser,
  mails,
  PASSWORD,
  startApp,
  uniqueEmail,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

/** Client addresses as a proxy in front of the service would report them, one new one a call. */
let addresses = 0;
const newAddress = () => {
  addresses += 1;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
};

const statuses = (responses: { status: number }[]) =>
  responses.reduce<Record<number, number>>(
    (count, { status }) => ({ ...count, [status]: (count[status] ?? 0) + 1 }),
    {},
  );

/** A refusal as the limits answer it: 429 please_wait, and when to come back in the body and header. */
function expectPleaseWait(response: Response): void {
  expect(response.status).toBe(429);
  expect(response.body.error.code).toBe('please_wait');
  expect(response.body.error.retry_after).toBeGreaterThan(0);
  expect(response.headers['retry-after']).toBe(String(response.body.error.retry_after));
}

describe('limits', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  beforeAll(async () => {
    // The limits as shipped; X-Forwarded-For from the loopback "proxy" stands for other clients.
    environment = await createTestEnvironment({ REGISTRATIONS_PER_HOUR: '10', TRUST_PROXY: 'loopback' });
    t = await startApp(environment);
  });
  afterAll(async () => {
    await t.close();
    await environment.dispose();
  });

  const newUser = () => createUser(t, { from: newAddress() });
  const login = (email: string, password: string, from: string) =>
    t.http().post('/api/v1/auth/login').set('X-Forwarded-For', from).send({ email, password });

  describe('failed password checks', () => {
    it('checks only 5 of 25 wrong passwords sent at once for one email from one address', async () => {
      const user = await newUser();
      const from = newAddress();
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, n) => login(user.email, `Wrong-password-${n}`, from)),
      );
      expect(statuses(answers)).toEqual({ 401: 5, 429: 20 });
      for (const answer of answers.filter((a) => a.status === 429)) expectPleaseWait(answer);
    });

    it('locks out the address that guessed, not the owner elsewhere', async () => {
      const user = await newUser();
      const guesser = newAddress();
      for (let n = 0; n < 5; n += 1) await login(user.email, 'Wrong-password-1', guesser).expect(401);
      expectPleaseWait(await login(user.email, PASSWORD, guesser));
      await login(user.email, PASSWORD, newAddress()).expect(200);
    });

    it('stops one email at 50 failures from all addresses together', async () => {
      const user = await newUser();
      const answers = await Promise.all(
        Array.from({ length: 60 }, () => login(user.email, 'Wrong-password-1', newAddress())),
      );
      expect(statuses(answers)).toEqual({ 401: 50, 429: 10 });
      expectPleaseWait(await login(user.email, PASSWORD, newAddress()));
    });

    it('stops one address at 30 failed logins, whatever the emails', async () => {
      const from = newAddress();
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => login(uniqueEmail('nobody'), 'Wrong-password-1', from)),
      );
      expect(statuses(answers)).toEqual({ 401: 30, 429: 10 });
      const user = await newUser();
      expectPleaseWait(await login(user.email, PASSWORD, from));
    });

    it('counts wrong current_password in PATCH /me and update_me with the failed logins', async () => {
      const user = await newUser();
      const from = newAddress();
      const body = { password: 'New-password-42', current_password: 'Wrong-password-1' };
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, () =>
          t.http().patch('/api/v1/me').set(user.auth).set('X-Forwarded-For', from).send(body),
        ),
        ...Array.from({ length: 4 }, () =>
          t.http().post('/api/v1/rpc/update_me').set(user.auth).set('X-Forwarded-For', from).send(body),
        ),
      ]);
      expect(statuses(answers)).toEqual({ 400: 5, 429: 3 });
      for (const answer of answers.filter((a) => a.status === 400)) {
        expect(answer.body.error.code).toBe('invalid_password');
      }
      // The right password now waits too, from that address; the password did not change.
      expectPleaseWait(
        await t
          .http()
          .patch('/api/v1/me')
          .set(user.auth)
          .set('X-Forwarded-For', from)
          .send({ ...body, current_password: PASSWORD }),
      );
      expectPleaseWait(await login(user.email, PASSWORD, from));
      await login(user.email, PASSWORD, newAddress()).expect(200);
    });
  });

  describe('registrations', () => {
    const register = (from: string) =>
      t
        .http()
        .post('/api/v1/auth/register')
        .set('X-Forwarded-For', from)
        .send({ email: uniqueEmail('reg'), password: PASSWORD });

    it('lets one address register 10 accounts an hour, a burst included', async () => {
      const from = newAddress();
      const answers = await Promise.all(Array.from({ length: 15 }, () => register(from)));
      expect(statuses(answers)).toEqual({ 201: 10, 429: 5 });
      for (const answer of answers.filter((a) => a.status === 429)) expectPleaseWait(answer);
      await register(newAddress()).expect(201);
    });

    it('answers a login while a flood of registrations is being hashed', async () => {
      const user = await newUser();
      let registered = 0;
      const flood = Array.from({ length: 40 }, () =>
        register(newAddress()).then((answer) => {
          expect(answer.status).toBe(201);
          registered += 1;
        }),
      );
      // Hashing is under way, the rest of the flood waiting for it.
      await waitFor(() => registered > 0, 'the first registration');
      await login(user.email, PASSWORD, newAddress()).expect(200);
      const registeredBeforeLogin = registered;
      await Promise.all(flood);
      expect(registeredBeforeLogin).toBeLessThan(20);
    });
  });

  describe('confirmation mails', () => {
    it('mails a new address once for a burst of email changes, and once for changes one after another', async () => {
      const user = await newUser();
      const victim = uniqueEmail('victim');
      const change = () =>
        t.http().patch('/api/v1/me').set(user.auth).send({ email: victim, current_password: PASSWORD });
      const burst = await Promise.all(Array.from({ length: 5 }, change));
      expect(statuses(burst)).toEqual({ 200: 1, 429: 4 });
      for (const answer of burst.filter((a) => a.status === 429)) expectPleaseWait(answer);
      for (let n = 0; n < 5; n += 1) expectPleaseWait(await change());
      // A resend of the pending address's link is the same kind of mail: it waits too.
      expectPleaseWait(await t.http().post('/api/v1/auth/resend-confirmation').send({ email: user.email }));
      expect((await mails(t)).filter((mail) => mail.to === victim)).toHaveLength(1);
    });
  });

  describe('event streams', () => {
    it('lets one user hold 20 streams on all instances together; a place frees when one closes', async () => {
      // With Redis, two instances of one deployment: the streams are counted together.
      const other = process.env.REDIS_URL ? await startApp(environment) : t;
      try {
        const user = await newUser();
        const code = await sseCode(t, user);
        const open = (app: TestApp) =>
          SseClient.open(app.url, `/api/v1/events?code=${encodeURIComponent(code)}`);
        const streams = await Promise.all(Array.from({ length: 25 }, (_, n) => open(n % 2 ? other : t)));
        expect(statuses(streams)).toEqual({ 200: 20, 429: 5 });
        const refused = streams.find((stream) => stream.status === 429) as SseClient;
        await waitFor(() => refused.ended, 'the refusal');
        expect(JSON.parse(refused.body).error).toMatchObject({
          code: 'please_wait',
          retry_after: 30,
          text: expect.stringMatching(/try again in 30 s$/),
        });
        expect(refused.headers['retry-after']).toBe('30');

        streams.find((stream) => stream.status === 200)?.close();
        const reopened = await waitFor(async () => {
          const stream = await open(other);
          return stream.status === 200 ? stream : undefined;
        }, 'a place for a new stream');
        for (const stream of [...streams, reopened]) stream.close();
      } finally {
        if (other !== t) await other.close();
      }
    });
  });

  describe('contacts', () => {
    it('tells the added user once an hour, however often the contact is removed and added again', async () => {
      const [adder, added] = await Promise.all([newUser(), newUser()]);
      const stream = await openStream(t, added);
      for (let n = 0; n < 10; n += 1) {
        await t.http().post('/api/v1/contacts').set(adder.auth).send({ user_id: added.id }).expect(200);
        await t.http().delete(`/api/v1/contacts/${added.id}`).set(adder.auth).expect(200);
      }
      // Events arrive in order: once the added user's own change is there, nothing else is coming.
      await t.http().patch('/api/v1/me').set(added.auth).send({ status_message: 'marker' }).expect(200);
      await stream.next(
        'user_updated',
        (data: { user: { status_message: string } }) => data.user.status_message === 'marker',
      );
      expect(stream.of('contact_added')).toHaveLength(1);
      stream.close();
    });
  });
});

describe('TRUST_PROXY as a number of proxies', () => {
  let t: TestApp;
  beforeAll(async () => {
    // One proxy in front (here the test itself): the address it saw is the last X-Forwarded-For entry.
    t = await startApp(undefined, { TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  it('counts the address the proxy saw, however the client rotates the addresses it adds before it', async () => {
    const user = await createUser(t);
    const answers = [];
    for (let n = 0; n < 6; n += 1) {
      answers.push(
        await t
          .http()
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', `${newAddress()}, 192.0.2.7`)
          .send({ email: user.email, password: 'Wrong-password-1' }),
      );
    }
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 429]);
    // Another client behind the same proxy is not held up.
    await t
      .http()
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '192.0.2.8')
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
  });
});

describe('slow clients', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Short timeouts, so the test does not wait the shipped 10 s and 30 s.
    t = await startApp(undefined, { HEADERS_TIMEOUT_SECONDS: '1', BODY_TIMEOUT_SECONDS: '1' });
  });
  afterAll(() => t.close());

  /** A raw connection that sends `start`, then one more byte of `drip` every 200 ms; resolves when the server closes it. */
  function slowClient(start: string, drip: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(t.url);
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(start));
      let answer = '';
      let sent = 0;
      const timer = setInterval(() => socket.write(drip[sent++ % drip.length]), 200);
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        // Answered: stop dripping, or a byte written after the server closed resets the connection.
        clearInterval(timer);
      });
      // A reset after the answer (a drip byte crossed the server's close) is a close too.
      socket.on('error', (error) => (answer ? socket.destroy() : reject(error)));
      socket.on('close', () => {
        clearInterval(timer);
        resolve(answer);
      });
    });
  }

  it('closes a connection whose headers or body come too slowly, and keeps event streams open', async () => {
    const user: TestUser = await createUser(t);
    const stream = await openStream(t, user);
    const slowHeaders = slowClient('GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n');
    const slowBody = slowClient(
      'PATCH /api/v1/me HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n' +
        `Authorization: Bearer ${user.accessToken}\r\n\r\n{"status_message":"`,
      'a',
    );
    // Closed within a few checks of the timeouts, not after Node's defaults (a minute, five).
    let deadline: NodeJS.Timeout | undefined;
    const [headersAnswer, bodyAnswer] = await Promise.race([
      Promise.all([slowHeaders, slowBody]),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => reject(new Error('slow connections still open after 8 s')), 8000);
      }),
    ]).finally(() => clearTimeout(deadline));
    expect(headersAnswer).toMatch(/^HTTP\/1.1 408/);
    expect(bodyAnswer).toMatch(/^HTTP\/1.1 408/);

    // The stream, open longer than both timeouts, still delivers.
    expect(stream.ended).toBe(false);
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'still here' }).expect(200);
    await stream.next(
      'user_updated',
      (data: { user: { status_message: string } }) => data.user.status_message === 'still here',
    );
    stream.close();
  });
});
