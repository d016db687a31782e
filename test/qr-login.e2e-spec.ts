import { createHash } from 'node:crypto';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { QrLogin } from '../src/qr-login/qr-login.entity.js';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { createUser, resetPasswordByMail, startApp, type TestApp, type TestUser } from './support/harness.js';
import { qrStream } from './support/friends.js';
import type { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

interface NewCode {
  id: string;
  key: string;
  uri: string;
  png: string;
  expires_at: string;
  check: string;
}

interface QrLoginEvent {
  user: { id: number; email: string; auth_token: string };
  access_token: string;
  expires_in: number;
  approved_by: { user_agent: string | null; device: string; ip: string | null };
}

const BROWSER = { 'User-Agent': 'QR test browser/1.0' };

/** The dark modules of a QR code image, read back from its pixels (a square code with any quiet zone). */
async function modulesOf(png: Buffer): Promise<boolean[][]> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const dark = (x: number, y: number) => data[Math.floor(y) * info.width + Math.floor(x)] < 128;
  let first = 0;
  while (!dark(first, first)) first += 1; // the finder pattern's top-left corner
  let moduleSize = 0;
  while (dark(first + moduleSize, first)) moduleSize += 1;
  moduleSize /= 7; // the finder pattern's outer ring is 7 modules wide
  const count = (info.width - 2 * first) / moduleSize;
  return Array.from({ length: count }, (_, row) =>
    Array.from({ length: count }, (_, column) =>
      dark(first + column * moduleSize + moduleSize / 2, first + row * moduleSize + moduleSize / 2),
    ),
  );
}

function expectedModules(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return Array.from({ length: modules.size }, (_, row) =>
    Array.from({ length: modules.size }, (_, column) => Boolean(modules.get(row, column))),
  );
}

describe('QR login', () => {
  let t: TestApp;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);

  beforeAll(async () => {
    // TRUST_PROXY: the rate-limit test stands for other addresses with X-Forwarded-For.
    t = await startApp(undefined, { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t.close();
  });

  // Each code from an address of its own: one address may ask for 20 codes in 10 minutes.
  let browsers = 0;
  const newCode = async (app = t): Promise<NewCode> =>
    (
      await app
        .http()
        .post('/api/v1/auth/qr')
        .set(BROWSER)
        .set('X-Forwarded-For', `10.77.${(browsers += 1) >> 8}.${browsers & 255}`)
        .expect(201)
    ).body;
  const listen = async (code: Pick<NewCode, 'id' | 'key'>, app = t) => {
    const stream = track(await qrStream(app, code, BROWSER));
    expect(stream.status).toBe(200);
    return stream;
  };
  const approve = (user: TestUser, id: string, body: Record<string, unknown>, app = t) =>
    app.http().post(`/api/v1/auth/qr/${id}/approve`).set(user.auth).send(body);
  const sessions = async (user: TestUser) =>
    (await t.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200)).body.sessions as {
      user_agent: string;
    }[];

  describe('POST /auth/qr', () => {
    it('answers a code, a unichat:// uri with its id and key, a PNG of the uri and an expiry in two minutes', async () => {
      const before = Date.now();
      const code = await newCode();
      expect(code.id).toMatch(/^[\w-]{22}$/);
      expect(code.key).toMatch(/^[\w-]{43}$/);
      const uri = new URL(code.uri);
      expect(uri.protocol).toBe('unichat:');
      expect(uri.searchParams.get('id')).toBe(code.id);
      expect(uri.searchParams.get('key')).toBe(code.key);
      const expiresAt = Date.parse(code.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 119_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
      expect(code.png).toMatch(/^data:image\/png;base64,/);
      const png = Buffer.from(code.png.split(',')[1], 'base64');
      expect(await sharp(png).metadata()).toMatchObject({ format: 'png' });
      expect(await modulesOf(png)).toEqual(expectedModules(code.uri));
    });

    it('stores only a hash of the key', async () => {
      const code = await newCode();
      const rows = await t.app
        .get(DataSource)
        .createQueryBuilder()
        .select('*')
        .from('qr_logins', 'q')
        .where('q.id = :id', { id: code.id })
        .getRawMany();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(code.key);
      expect(rows[0].key_hash).toBe(createHash('sha256').update(code.key).digest('base64url'));
    });

    it('refuses more than QR_CODES_PER_ADDRESS codes in 10 minutes from one address with 429 please_wait', async () => {
      // 20 by default; 3 here, so the test does not build 21 QR images on a busy machine.
      expect(t.config.qrCodesPerAddress).toBe(20);
      t.config.qrCodesPerAddress = 3;
      try {
        const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
        for (let i = 0; i < 3; i += 1)
          await t.http().post('/api/v1/auth/qr').set('X-Forwarded-For', ip).expect(201);
        const refused = await t.http().post('/api/v1/auth/qr').set('X-Forwarded-For', ip).expect(429);
        expect(refused.body.error.code).toBe('please_wait');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect(refused.body.error.retry_after).toBeGreaterThan(0);
        // Another address is not affected.
        await t.http().post('/api/v1/auth/qr').set('X-Forwarded-For', '10.8.0.1').expect(201);
      } finally {
        t.config.qrCodesPerAddress = 20;
      }
    });
  });

  describe('approval', () => {
    it('logs the waiting browser in with a new session of the approving user', async () => {
      const ann = await createUser(t);
      const code = await newCode();
      const browser = await listen(code);
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200, {});

      const { data } = await browser.next<QrLoginEvent>('qr_login');
      expect(data.user).toMatchObject({ id: ann.id, email: ann.email });
      expect(data.user.auth_token).toMatch(/^[\w-]{43}$/);
      expect(data.user.auth_token).not.toBe(ann.authToken);
      expect(data.expires_in).toBe(900);
      await waitFor(() => browser.ended, 'the QR stream to close');

      // The browser's access token and auth token are a session of their own, named after the browser.
      const me = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${data.access_token}`)
        .expect(200);
      expect(me.body.user.id).toBe(ann.id);
      await t.http().post('/api/v1/auth/login').send({ auth_token: data.user.auth_token }).expect(200);
      expect((await sessions(ann)).map((session) => session.user_agent)).toContain(BROWSER['User-Agent']);
      // The phone that approved stays logged in.
      await t.http().get('/api/v1/me').set(ann.auth).expect(200);
    });

    it('shows the phone the browser, its address, when it asked and the check number the page shows, before approving', async () => {
      const ann = await createUser(t);
      const response = await t.http().post('/api/v1/auth/qr').set(BROWSER).expect(201);
      const code = response.body as NewCode;
      expect(code.check).toMatch(/^[0-9]{2}$/);
      const shown = await t
        .http()
        .get(`/api/v1/auth/qr/${code.id}?key=${encodeURIComponent(code.key)}`)
        .set(ann.auth)
        .expect(200);
      expect(shown.body).toEqual({
        id: code.id,
        user_agent: BROWSER['User-Agent'],
        device: 'Unknown device',
        ip: expect.stringMatching(/127\.0\.0\.1$/),
        created_at: expect.any(String),
        expires_at: code.expires_at,
        check: code.check,
      });
      expect(Math.abs(Date.parse(shown.body.created_at) - Date.now())).toBeLessThan(10_000);
      // Only a logged-in phone with the key may look; once used, nobody.
      await t
        .http()
        .get(`/api/v1/auth/qr/${code.id}?key=${encodeURIComponent(code.key)}`)
        .expect(401);
      const wrongKey = await t.http().get(`/api/v1/auth/qr/${code.id}?key=nope`).set(ann.auth).expect(400);
      expect(wrongKey.body.error.code).toBe('invalid_token');
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      const used = await t
        .http()
        .get(`/api/v1/auth/qr/${code.id}?key=${encodeURIComponent(code.key)}`)
        .set(ann.auth)
        .expect(400);
      expect(used.body.error.code).toBe('invalid_token');
    });

    it('tells the browser which device approved it', async () => {
      const ann = await createUser(t);
      const code = await newCode();
      const browser = await listen(code);
      const phone =
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1';
      await approve(ann, code.id, { key: code.key, check: code.check }).set('User-Agent', phone).expect(200);
      const { data } = await browser.next<QrLoginEvent>('qr_login');
      expect(data.approved_by).toEqual({
        user_agent: phone,
        device: 'Safari on iPhone',
        ip: expect.stringMatching(/127\.0\.0\.1$/),
      });
    });

    it('voids the code on a wrong check number: the browser hears qr_expired and the right number no longer works', async () => {
      const ann = await createUser(t);
      const code = await newCode();
      const browser = await listen(code);
      const wrong = code.check === '42' ? '43' : '42';
      const response = await approve(ann, code.id, { key: code.key, check: wrong }).expect(400);
      expect(response.body.error).toEqual({
        code: 'invalid_token',
        text: expect.stringMatching(/check number/),
      });
      const { data } = await browser.next('qr_expired');
      expect(data).toEqual({ id: code.id, reason: 'wrong_check' });
      await waitFor(() => browser.ended, 'the QR stream to close');
      const again = await approve(ann, code.id, { key: code.key, check: code.check }).expect(400);
      expect(again.body.error.code).toBe('invalid_token');
      expect(await sessions(ann)).toHaveLength(1);
      const late = await listen(code);
      expect((await late.next('qr_expired')).data).toEqual({ id: code.id, reason: 'wrong_check' });
      expect(late.of('qr_login')).toEqual([]);
    });

    it('answers HEAD on the QR stream with its headers only, and keeps the login for the real stream', async () => {
      const ann = await createUser(t);
      const code = await newCode();
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      const head = await t
        .http()
        .head(`/api/v1/auth/qr/${code.id}/events?key=${encodeURIComponent(code.key)}`)
        .expect(200);
      expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
      const browser = await listen(code);
      expect((await browser.next<QrLoginEvent>('qr_login')).data.user.id).toBe(ann.id);
    });

    it('delivers an approval that came before the browser started listening', async () => {
      const ann = await createUser(t);
      const code = await newCode();
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      const browser = await listen(code);
      const { data } = await browser.next<QrLoginEvent>('qr_login');
      expect(data.user.id).toBe(ann.id);
    });

    it('gives no session for an approval made by a session that has ended since (a reset, ending sessions, logout)', async () => {
      const { anotherSession } = await import('./support/harness.js');
      const ann = await createUser(t);
      // A thief's session approves a QR code for their browser; the owner then resets the password.
      const thief = await anotherSession(t, ann);
      const stolen = await newCode();
      await t
        .http()
        .post(`/api/v1/auth/qr/${stolen.id}/approve`)
        .set(thief.auth)
        .send({ key: stolen.key, check: stolen.check })
        .expect(200);
      await resetPasswordByMail(t, ann, 'Another-pass-77');
      const browser = await listen(stolen);
      await browser.next('qr_expired');
      expect(browser.of('qr_login')).toEqual([]);

      // The same when the approving session is ended from another one, or logs out.
      const owner = await anotherSession(t, { ...ann, password: 'Another-pass-77' });
      for (const end of ['others', 'logout'] as const) {
        const approver = await anotherSession(t, { ...ann, password: 'Another-pass-77' });
        const code = await newCode();
        await t
          .http()
          .post(`/api/v1/auth/qr/${code.id}/approve`)
          .set(approver.auth)
          .send({ key: code.key, check: code.check })
          .expect(200);
        if (end === 'others') await t.http().delete('/api/v1/tokens/sessions').set(owner.auth).expect(200);
        else await t.http().post('/api/v1/auth/logout').set(approver.auth).send({}).expect(200);
        const late = await listen(code);
        await late.next('qr_expired');
        expect([end, late.of('qr_login')]).toEqual([end, []]);
      }
    });

    it('is single use: a second approval is 400 invalid_token and a second stream only hears qr_expired', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const code = await newCode();
      const browser = await listen(code);
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      await browser.next('qr_login');

      for (const user of [ann, bob]) {
        const again = await approve(user, code.id, { key: code.key, check: code.check }).expect(400);
        expect(again.body.error.code).toBe('invalid_token');
      }
      const replay = await listen(code);
      await replay.next('qr_expired');
      await waitFor(() => replay.ended, 'the second stream to close');
      expect(replay.of('qr_login')).toEqual([]);
      // Bob got no session from it.
      expect(await sessions(bob)).toHaveLength(1);
    });

    it('gives one session when two streams wait on the same code', async () => {
      const ann = await createUser(t);
      const code = await newCode();
      const [first, second] = [await listen(code), await listen(code)];
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      await waitFor(() => first.ended && second.ended, 'both streams to close');
      expect([...first.of('qr_login'), ...second.of('qr_login')]).toHaveLength(1);
      expect([...first.of('qr_expired'), ...second.of('qr_expired')]).toHaveLength(1);
      expect(await sessions(ann)).toHaveLength(2);
    });

    it.each([
      [
        'a wrong key',
        (code: NewCode) => ({
          id: code.id,
          body: { key: code.key.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')), check: code.check },
        }),
      ],
      [
        'an unknown id',
        (code: NewCode) => ({ id: 'A'.repeat(22), body: { key: code.key, check: code.check } }),
      ],
      ['a malformed id', (code: NewCode) => ({ id: 'nope', body: { key: code.key, check: code.check } })],
    ])('answers %s with 400 invalid_token and the code still works', async (_case, make) => {
      const ann = await createUser(t);
      const code = await newCode();
      const browser = await listen(code);
      const { id, body } = make(code);
      const response = await approve(ann, id, body).expect(400);
      expect(response.body.error.code).toBe('invalid_token');
      expect(browser.events).toEqual([]);
      expect(await sessions(ann)).toHaveLength(1);
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      await browser.next('qr_login');
    });

    it.each([
      ['a missing key', { check: '00' }],
      ['a key of the wrong type', { key: 42, check: '00' }],
      ['an unknown field', { key: 'x', check: '00', user_id: 1 }],
      ['a missing check number', { key: 'x' }],
      ['a check number of one digit', { key: 'x', check: '7' }],
      ['a check number as a number', { key: 'x', check: 7 }],
    ])('answers %s with 400 invalid_params and the code still works', async (_case, body) => {
      const ann = await createUser(t);
      const code = await newCode();
      const response = await approve(ann, code.id, body).expect(400);
      expect(response.body.error.code).toBe('invalid_params');
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
    });

    it('needs an access token (401 unauthorized) and a confirmed email (403 email_not_confirmed)', async () => {
      const code = await newCode();
      const browser = await listen(code);
      const anonymous = await t
        .http()
        .post(`/api/v1/auth/qr/${code.id}/approve`)
        .send({ key: code.key, check: code.check })
        .expect(401);
      expect(anonymous.body.error.code).toBe('unauthorized');
      const unconfirmed = await createUser(t, { confirmed: false });
      const refused = await approve(unconfirmed, code.id, { key: code.key, check: code.check }).expect(403);
      expect(refused.body.error.code).toBe('email_not_confirmed');
      expect(browser.events).toEqual([]);
      const ann = await createUser(t);
      await approve(ann, code.id, { key: code.key, check: code.check }).expect(200);
      expect((await browser.next<QrLoginEvent>('qr_login')).data.user.id).toBe(ann.id);
    });
  });

  describe('GET /auth/qr/:id/events', () => {
    it('is a text/event-stream that tells the browser how soon to reconnect', async () => {
      const browser = await listen(await newCode());
      expect(browser.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(browser.headers['x-accel-buffering']).toBe('no');
      await waitFor(() => browser.retry !== null, 'the retry line');
    });

    it('answers a wrong, missing or unknown key with 401 unauthorized, and the right key still works', async () => {
      const code = await newCode();
      for (const path of [
        `/api/v1/auth/qr/${code.id}/events?key=${'x'.repeat(43)}`,
        `/api/v1/auth/qr/${code.id}/events`,
        `/api/v1/auth/qr/${'A'.repeat(22)}/events?key=${code.key}`,
        `/api/v1/auth/qr/nope/events?key=${code.key}`,
      ]) {
        const response = await t.http().get(path).expect(401);
        expect(response.headers['content-type']).toMatch(/application\/json/);
        expect(response.body.error.code).toBe('unauthorized');
      }
      await listen(code);
    });
  });

  describe('expiry', () => {
    let short: TestApp;
    beforeAll(async () => {
      short = await startApp(undefined, { QR_TTL_SECONDS: '1' });
    });
    afterAll(() => short.close());

    it('tells the waiting browser qr_expired at expiry and closes the stream', async () => {
      const code = await newCode(short);
      expect(Date.parse(code.expires_at) - Date.now()).toBeLessThanOrEqual(1000);
      const browser = await listen(code, short);
      const { data } = await browser.next('qr_expired', () => true, 4000);
      expect(data).toEqual({ id: code.id, reason: 'expired' });
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(code.expires_at));
      await waitFor(() => browser.ended, 'the stream to close');
    });

    it('refuses an approval after expiry with 400 invalid_token, and a late stream hears qr_expired at once', async () => {
      const ann = await createUser(short);
      const code = await newCode(short);
      await waitFor(() => Date.now() > Date.parse(code.expires_at), 'the code to expire', 3000);
      const response = await approve(ann, code.id, { key: code.key, check: code.check }, short).expect(400);
      expect(response.body.error.code).toBe('invalid_token');
      const late = await listen(code, short);
      await late.next('qr_expired', () => true, 1000);
      expect(late.of('qr_login')).toEqual([]);
      const rows = await short.app.get(DataSource).getRepository(QrLogin).findBy({ id: code.id });
      expect(rows[0].approvedBy).toBeNull();
    });
  });

  // Two instances of one deployment need the shared database and Redis; without them the same
  // story runs on one instance.
  describe(
    SEVERAL_INSTANCES ? 'across two instances' : 'on one instance (two need DATABASE_URL and REDIS_URL)',
    () => {
      const { a: browserSide, b: phoneSide } = startDeployment();

      it('voids the code for the browser on one instance when a wrong check number reaches the other', async () => {
        const ann = await createUser(phoneSide);
        const code = await newCode(browserSide);
        const browser = await listen(code, browserSide);
        const shown = await phoneSide
          .http()
          .get(`/api/v1/auth/qr/${code.id}?key=${encodeURIComponent(code.key)}`)
          .set(ann.auth)
          .expect(200);
        expect(shown.body).toMatchObject({ check: code.check, user_agent: BROWSER['User-Agent'] });
        const wrong = code.check === '00' ? '01' : '00';
        await approve(ann, code.id, { key: code.key, check: wrong }, phoneSide).expect(400);
        expect((await browser.next('qr_expired')).data).toEqual({ id: code.id, reason: 'wrong_check' });
      });

      it('logs in the browser whose stream is on one instance when the approval reaches the other', async () => {
        const ann = await createUser(phoneSide);
        const code = await newCode(browserSide);
        const browser = await listen(code, browserSide);
        await approve(ann, code.id, { key: code.key, check: code.check }, phoneSide).expect(200);
        const { data } = await browser.next<QrLoginEvent>('qr_login');
        expect(data.user.id).toBe(ann.id);
        await phoneSide
          .http()
          .get('/api/v1/me')
          .set('Authorization', `Bearer ${data.access_token}`)
          .expect(200);
      });
    },
  );
});
