import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createUser, PASSWORD, startApp, type TestApp, type TestUser } from './support/harness.js';
import { makeImage, makeNoisePng } from './support/images.js';
import { selfSignedCertificate } from './support/tls.js';
import { waitFor } from './support/wait.js';

/** An image host on loopback, over TLS with a throw-away certificate; counts what it is asked. */
async function startImageHost(
  routes: Record<
    string,
    (respond: (status: number, headers: Record<string, string>, body?: Buffer) => void) => void
  >,
) {
  const dir = await mkdtemp(join(tmpdir(), 'unichat-image-host-'));
  const tls = await selfSignedCertificate(dir);
  const asked: string[] = [];
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    asked.push(request.url ?? '');
    const route = routes[request.url ?? ''];
    if (!route) return void response.writeHead(404).end('no such image');
    route((status, headers, body) => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    caFile: tls.certFile,
    url: (path: string, host = '127.0.0.1') => `https://${host}:${port}${path}`,
    asked,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('avatars given as https URLs (PATCH /me)', () => {
  let host: Awaited<ReturnType<typeof startImageHost>>;
  let t: TestApp;
  let photo: Buffer;
  /** `/held.jpg` answers only when the test lets it: a request waits there for as long as needed. */
  const held: (() => void)[] = [];

  beforeAll(async () => {
    photo = await makeImage(600, 400, 'jpeg');
    const png = (respond: (status: number, headers: Record<string, string>, body?: Buffer) => void) =>
      respond(200, { 'content-type': 'image/jpeg' }, photo);
    const huge = await makeNoisePng(2.1 * 1024 * 1024);
    host = await startImageHost({
      '/me.jpg': png,
      '/moved': (respond) => respond(302, { location: '/me.jpg' }),
      '/loop': (respond) => respond(302, { location: '/loop' }),
      '/downgrade': (respond) => respond(301, { location: 'http://127.0.0.1/me.jpg' }),
      '/broken': (respond) => respond(302, { location: 'https://[::1' }),
      '/text': (respond) => respond(200, { 'content-type': 'text/plain' }, Buffer.from('no pixels here')),
      '/huge.png': (respond) => respond(200, { 'content-type': 'image/png' }, huge),
      '/held.jpg': (respond) => held.push(() => png(respond)),
    });
    // This deployment trusts the host's certificate and lets it be on a private address.
    t = await startApp(undefined, {
      AVATAR_FETCH_CA_FILE: host.caFile,
      AVATAR_FETCH_ALLOW_HOSTS: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await t?.close();
    await host?.close();
  });

  const me = async (user: TestUser) =>
    (await t.http().get('/api/v1/me').set(user.auth).expect(200)).body.user;
  const setAvatar = (user: TestUser, avatar: string, app = t) =>
    app.http().patch('/api/v1/me').set(user.auth).send({ avatar, status_message: 'with a picture' });

  it('fetches the image once, stores it re-encoded and serves it from here', async () => {
    const user = await createUser(t);
    const asked = host.asked.length;
    const response = await setAvatar(user, host.url('/me.jpg')).expect(200);
    expect(host.asked.slice(asked)).toEqual(['/me.jpg']);
    const { full, small } = response.body.user.avatar as { full: string; small: string };
    expect(full.startsWith(`${t.config.publicUrl}/api/v1/avatars/`)).toBe(true);
    const served = await t.http().get(new URL(full).pathname).buffer(true).expect(200);
    expect(await sharp(served.body as Buffer).metadata()).toMatchObject({
      format: 'webp',
      width: 600,
      height: 400,
    });
    expect(small).not.toBe(full);
  });

  it('follows a redirect to another https URL', async () => {
    const user = await createUser(t);
    const response = await setAvatar(user, host.url('/moved')).expect(200);
    expect(response.body.user.avatar).not.toBeNull();
  });

  it('takes its own avatar URL sent back as no change, without fetching anything', async () => {
    const user = await createUser(t);
    const { avatar } = (await setAvatar(user, host.url('/me.jpg')).expect(200)).body.user;
    const asked = host.asked.length;
    const again = await t.http().patch('/api/v1/me').set(user.auth).send({ avatar: avatar.full }).expect(200);
    expect(again.body.user.avatar).toEqual(avatar);
    expect(host.asked.length).toBe(asked);
  });

  it.each([
    ['a plain http URL', () => 'http://127.0.0.1/me.jpg', 400, /data URL .* or an https URL/],
    ['a URL that answers 404', () => host.url('/gone.jpg'), 400, /answered 404/],
    ['a URL that is not an image', () => host.url('/text'), 400, /not an image/],
    ['an image over 2 MB', () => host.url('/huge.png'), 413, /at most 2 MB/],
    ['endless redirects', () => host.url('/loop'), 400, /redirects/],
    ['a redirect to plain http', () => host.url('/downgrade'), 400, /must be https/],
    ['a redirect to no URL at all', () => host.url('/broken'), 400, /not a URL/],
    ['a host nobody answers for', () => 'https://unichat-test.invalid/me.jpg', 400, /could not be fetched/],
    [
      'credentials in the URL',
      () => host.url('/me.jpg').replace('https://', 'https://me:secret@'),
      400,
      /credentials/,
    ],
  ])('refuses %s with invalid_avatar, and changes nothing', async (_case, url, status, text) => {
    const user = await createUser(t);
    const before = await me(user);
    const response = await setAvatar(user, url()).expect(status);
    expect(response.body.error.code).toBe('invalid_avatar');
    expect(response.body.error.text).toMatch(text);
    expect(await me(user)).toEqual(before);
  });

  it('answers a profile update for an account deleted mid-request as the deleted user’s token is answered: 401 unauthorized', async () => {
    const user = await createUser(t);
    // The update has passed its token check and waits for its image while the account goes.
    const update = setAvatar(user, host.url('/held.jpg')).then((response) => response);
    await waitFor(() => held.length === 1, 'the avatar to be asked for');
    await t.http().delete('/api/v1/me').set(user.auth).send({ current_password: PASSWORD }).expect(200);
    held.shift()?.();
    const response = await update;
    expect({ status: response.status, body: response.body }).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
  });

  it('never reaches a private address on its own: loopback by address or by name', async () => {
    // A deployment as shipped: only public addresses (here it trusts the certificate, nothing more).
    const shipped = await startApp(undefined, { AVATAR_FETCH_CA_FILE: host.caFile });
    try {
      const user = await createUser(shipped);
      const asked = host.asked.length;
      for (const url of [
        host.url('/me.jpg'),
        host.url('/me.jpg', 'localhost'),
        host.url('/me.jpg', '[::ffff:127.0.0.1]'),
      ]) {
        const response = await setAvatar(user, url, shipped).expect(400);
        expect(response.body.error).toEqual({
          code: 'invalid_avatar',
          text: 'avatar URL leads to a private or reserved address',
        });
      }
      expect(host.asked.length).toBe(asked);
    } finally {
      await shipped.close();
    }
  });
});
