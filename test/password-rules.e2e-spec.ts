import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  createUser,
  PASSWORD,
  startApp,
  uniqueEmail,
  waitForMail,
  type TestApp,
  type TestUser,
} from './support/harness.js';
import { captureLogs } from './support/logs.js';
import { linkIn } from './support/mails.js';

/** Plays Pwned Passwords' range API: `GET /range/<5 hex>` lists `SUFFIX:COUNT` lines of that range. */
interface RangeApi {
  url: string;
  requests: { url: string; headers: IncomingHttpHeaders; body: string }[];
  /** How it answers from now on. */
  mode: 'answer' | 'fail' | 'hang';
  close(): Promise<void>;
}

async function startRangeApi(breached: string[]): Promise<RangeApi> {
  const hashes = breached.map((password) => createHash('sha1').update(password).digest('hex').toUpperCase());
  const api: RangeApi = { url: '', requests: [], mode: 'answer', close: async () => undefined };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      api.requests.push({ url: request.url ?? '', headers: request.headers, body });
      if (api.mode === 'hang') return;
      if (api.mode === 'fail') {
        response.writeHead(503).end();
        return;
      }
      const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? '')?.[1];
      if (!prefix) {
        response.writeHead(400).end();
        return;
      }
      const lines = hashes.filter((hash) => hash.startsWith(prefix)).map((hash) => `${hash.slice(5)}:42`);
      // Padding, as the real API adds it: suffixes with a count of 0 are no breach.
      lines.push(`${'0'.repeat(35)}:0`);
      response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}

function register(t: TestApp, password: string) {
  return t
    .http()
    .post('/api/v1/auth/register')
    .send({ email: uniqueEmail('rules'), password });
}

/** The token of a mailed reset link; it stays good until a new password is set with it. */
async function resetToken(t: TestApp, user: TestUser): Promise<string | null> {
  await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200);
  const mail = await waitForMail(t, user.email, /Reset your Unichat password/);
  return new URL(linkIn(mail, 'password_reset_token=')).searchParams.get('password_reset_token');
}

function reset(t: TestApp, token: string | null, password: string) {
  return t.http().post('/api/v1/auth/password-reset').send({ token, password });
}

describe('passwords people actually use', () => {
  describe('the most common ones', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('are refused at registration with registration_error saying the password is too common', async () => {
      for (const password of ['Password123', 'Qwertyuiop1', '1q2w3e4r5t']) {
        const answer = await register(t, password).expect(400);
        expect(answer.body.error).toEqual({
          code: 'registration_error',
          text: expect.stringMatching(/too common/),
        });
      }
      await register(t, PASSWORD).expect(201);
    });

    it('are refused as a new password by reset and by a change, with weak_password', async () => {
      const user = await createUser(t);
      const refused = await reset(t, await resetToken(t, user), 'Password123').expect(400);
      expect(refused.body.error).toEqual({
        code: 'weak_password',
        text: expect.stringMatching(/too common/),
      });
      const change = await t
        .http()
        .patch('/api/v1/me')
        .set(user.auth)
        .send({ password: 'Manchester', current_password: user.password })
        .expect(400);
      expect(change.body.error).toEqual({ code: 'weak_password', text: expect.stringMatching(/too common/) });
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
    });
  });

  describe('Pwned Passwords (PWNED_PASSWORDS_URL)', () => {
    const breached = 'Tr0ub4dor&3-leaked';
    let api: RangeApi;
    let t: TestApp;
    beforeAll(async () => {
      api = await startRangeApi([breached]);
      t = await startApp(undefined, { PWNED_PASSWORDS_URL: api.url });
    });
    afterAll(async () => {
      await t.close();
      await api.close();
    });
    beforeEach(() => {
      api.mode = 'answer';
      api.requests.length = 0;
    });

    it('refuses a breached password, sending only the first five hex characters of its SHA-1', async () => {
      const answer = await register(t, breached).expect(400);
      expect(answer.body.error).toEqual({
        code: 'registration_error',
        text: expect.stringMatching(/too common/),
      });
      const digest = createHash('sha1').update(breached).digest('hex').toUpperCase();
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0].url).toBe(`/range/${digest.slice(0, 5)}`);
      expect(api.requests[0].body).toBe('');
      const sent = JSON.stringify(api.requests[0]);
      expect(sent).not.toContain(digest.slice(5, 15));
      expect(sent.toLowerCase()).not.toContain(digest.slice(5, 15).toLowerCase());
      expect(sent).not.toContain(breached);
    });

    it('accepts a password not in the breaches, and refuses a breached one on reset', async () => {
      const user = await createUser(t);
      expect(api.requests.length).toBeGreaterThan(0);
      const token = await resetToken(t, user);
      const refused = await reset(t, token, breached).expect(400);
      expect(refused.body.error.code).toBe('weak_password');
      await reset(t, token, 'Fresh-and-unseen-9').expect(200);
    });

    it('accepts the password when the API fails or does not answer in time, and logs a line each time', async () => {
      const logs = captureLogs();
      try {
        api.mode = 'fail';
        await register(t, breached).expect(201);
        api.mode = 'hang';
        await register(t, breached).expect(201);
        expect(api.requests).toHaveLength(2);
        const notAsked = logs
          .lines()
          .filter(
            (line) => line.context === 'PasswordRules' && line.text.startsWith('Pwned Passwords not asked'),
          );
        expect(notAsked).toHaveLength(2);
        expect(notAsked.every((line) => line.level === 'warn')).toBe(true);
        expect(notAsked.map((line) => line.text).join('\n')).not.toContain(breached);
      } finally {
        logs.restore();
      }
    });
  });
});
