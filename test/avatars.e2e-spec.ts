import http from 'node:http';
import sharp from 'sharp';
import { createUser, PASSWORD, startApp, type TestApp, type TestUser } from './support/harness.js';
import { dataUrl, makeImage, makeNoisePng } from './support/images.js';
import { waitFor } from './support/wait.js';

describe('avatars', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const me = async (user: TestUser) =>
    (await t.http().get('/api/v1/me').set(user.auth).expect(200)).body.user;
  const setAvatar = (user: TestUser, avatar: string) =>
    t.http().patch('/api/v1/me').set(user.auth).send({ avatar });
  const fetchImage = async (url: string) => {
    const response = await t.http().get(new URL(url).pathname).buffer(true).expect(200);
    return { response, body: response.body as Buffer, meta: await sharp(response.body as Buffer).metadata() };
  };

  it('resizes a large PNG to at most 1024 px with a 128 px copy, both WebP, served cacheable', async () => {
    const user = await createUser(t);
    const record = (await setAvatar(user, dataUrl(await makeImage(2000, 1500, 'png'))).expect(200)).body.user;
    expect(record.avatar.full).toMatch(/^http:\/\/127\.0\.0\.1\/api\/v1\/avatars\/[\w-]+$/);
    expect(record.avatar.small).not.toBe(record.avatar.full);

    const full = await fetchImage(record.avatar.full);
    expect(full.meta).toMatchObject({ format: 'webp', width: 1024, height: 768 });
    expect(full.response.headers['content-type']).toBe('image/webp');
    expect(full.response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const small = await fetchImage(record.avatar.small);
    expect(small.meta).toMatchObject({ format: 'webp', width: 128, height: 128 });
  });

  it('keeps a tiny JPEG as one image: full and small are the same URL', async () => {
    const user = await createUser(t);
    const record = (await setAvatar(user, dataUrl(await makeImage(100, 80, 'jpeg'), 'jpeg')).expect(200)).body
      .user;
    expect(record.avatar.small).toBe(record.avatar.full);
    expect((await fetchImage(record.avatar.full)).meta).toMatchObject({
      format: 'webp',
      width: 100,
      height: 80,
    });
  });

  it('strips metadata such as EXIF from the stored image', async () => {
    const user = await createUser(t);
    const original = await makeImage(300, 300, 'jpeg', { exif: true });
    expect(original.toString('latin1')).toContain('secret-location-tag');
    const record = (await setAvatar(user, dataUrl(original, 'jpeg')).expect(200)).body.user;
    const full = await fetchImage(record.avatar.full);
    expect(full.body.toString('latin1')).not.toContain('secret-location-tag');
    expect(full.meta.exif).toBeUndefined();
  });

  it('answers 304 to If-None-Match with the ETag, and gives a new avatar a new key', async () => {
    const user = await createUser(t);
    const first = (await setAvatar(user, dataUrl(await makeImage(64, 64, 'png'))).expect(200)).body.user
      .avatar.full;
    const { response } = await fetchImage(first);
    const etag = response.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    await t.http().get(new URL(first).pathname).set('If-None-Match', etag).expect(304);
    const second = (await setAvatar(user, dataUrl(await makeImage(65, 65, 'png'))).expect(200)).body.user
      .avatar.full;
    expect(second).not.toBe(first);
    // The old image is gone with the old avatar.
    await t.http().get(new URL(first).pathname).expect(404);
  });

  it('accepts a file through PUT /me/avatar (multipart) and removes it with DELETE /me/avatar', async () => {
    const user = await createUser(t);
    const uploaded = await t
      .http()
      .put('/api/v1/me/avatar')
      .set(user.auth)
      .attach('file', await makeImage(400, 300, 'jpeg'), { filename: 'me.jpg', contentType: 'image/jpeg' })
      .expect(200);
    expect((await fetchImage(uploaded.body.user.avatar.full)).meta).toMatchObject({
      width: 400,
      height: 300,
    });
    const removed = await t.http().delete('/api/v1/me/avatar').set(user.auth).expect(200);
    expect(removed.body.user.avatar).toBeNull();
    await t.http().get(new URL(uploaded.body.user.avatar.full).pathname).expect(404);
    expect((await t.http().get(`/api/v1/users/${user.id}`).expect(200)).body.user.avatar).toBeNull();
  });

  it.each([
    ['not a data URL', () => 'hello', 400],
    [
      'a data URL without its type',
      async () => `data:;base64,${(await makeImage(10, 10, 'png')).toString('base64')}`,
      400,
    ],
    [
      'text that is not an image',
      () => `data:image/png;base64,${Buffer.from('just text, no pixels').toString('base64')}`,
      400,
    ],
    [
      'a truncated JPEG',
      async () => {
        const jpeg = await makeImage(800, 600, 'jpeg');
        return dataUrl(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'jpeg');
      },
      400,
    ],
    ['a 2.1 MB image', async () => dataUrl(await makeNoisePng(2.1 * 1024 * 1024)), 413],
  ])('refuses %s with invalid_avatar, and changes nothing', async (_case, make, status) => {
    const user = await createUser(t);
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'before' }).expect(200);
    const before = await me(user);
    const response = await t
      .http()
      .patch('/api/v1/me')
      .set(user.auth)
      .send({ avatar: await make(), status_message: 'after' })
      .expect(status);
    expect(response.body.error.code).toBe('invalid_avatar');
    expect(await me(user)).toEqual(before);
  });

  it('refuses a file over 2 MB through PUT /me/avatar with 413 invalid_avatar', async () => {
    const user = await createUser(t);
    const response = await t
      .http()
      .put('/api/v1/me/avatar')
      .set(user.auth)
      .attach('file', await makeNoisePng(2.1 * 1024 * 1024), {
        filename: 'big.png',
        contentType: 'image/png',
      })
      .expect(413);
    expect(response.body.error.code).toBe('invalid_avatar');
    expect((await me(user)).avatar).toBeNull();
  });

  it('answers an upload for an account deleted mid-request as the deleted user’s token is answered: 401 unauthorized', async () => {
    const user = await createUser(t);
    const image = await makeImage(400, 300, 'jpeg');
    const boundary = 'unichat-test-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="me.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    let upload!: http.ClientRequest;
    const answer = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        upload = http.request(
          `${t.url}/api/v1/me/avatar`,
          {
            method: 'PUT',
            headers: {
              ...user.auth,
              'Content-Type': `multipart/form-data; boundary=${boundary}`,
              'Content-Length': head.length + image.length + tail.length,
            },
          },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
            );
          },
        );
        upload.on('error', reject);
      },
    );
    // The upload has passed its token check and waits for the rest of its body while the account goes.
    upload.write(Buffer.concat([head, image.subarray(0, 1024)]));
    await waitFor(
      () => upload.socket !== null && upload.socket.bytesWritten > head.length,
      'the upload to start',
    );
    await t.http().delete('/api/v1/me').set(user.auth).send({ current_password: PASSWORD }).expect(200);
    upload.end(Buffer.concat([image.subarray(1024), tail]));
    const { status, headers, body } = await answer;
    expect({ status, body: JSON.parse(body) }).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    expect(t.checkAnswer('put', '/api/v1/me/avatar', { status, headers, body: JSON.parse(body) })).toBeNull();
  });

  it('answers 404 not_found for an unknown avatar key', async () => {
    expect((await t.http().get('/api/v1/avatars/no-such-key').expect(404)).body.error.code).toBe('not_found');
  });

  it('also answers 304 to a weak or a * If-None-Match, and 200 with the image to another tag', async () => {
    const user = await createUser(t);
    const url = (await setAvatar(user, dataUrl(await makeImage(200, 200, 'png'))).expect(200)).body.user
      .avatar.small;
    const path = new URL(url).pathname;
    const etag = (await fetchImage(url)).response.headers.etag;
    await t.http().get(path).set('If-None-Match', `W/${etag}`).expect(304);
    await t.http().get(path).set('If-None-Match', `"other", ${etag}`).expect(304);
    await t.http().get(path).set('If-None-Match', '*').expect(304);
    const other = await t.http().get(path).set('If-None-Match', '"other"').buffer(true).expect(200);
    expect((await sharp(other.body as Buffer).metadata()).width).toBe(128);
  });

  it('serves an avatar stored through one instance from another instance of the deployment', async () => {
    const second = await startApp(t.environment);
    try {
      const user = await createUser(t);
      const url = (await setAvatar(user, dataUrl(await makeImage(300, 300, 'jpeg'), 'jpeg')).expect(200)).body
        .user.avatar.full;
      const path = new URL(url).pathname;
      const fromFirst = await t.http().get(path).buffer(true).expect(200);
      const fromSecond = await second.http().get(path).buffer(true).expect(200);
      expect(fromSecond.headers.etag).toBe(fromFirst.headers.etag);
      expect((fromSecond.body as Buffer).equals(fromFirst.body as Buffer)).toBe(true);
      await t.http().delete('/api/v1/me/avatar').set(user.auth).expect(200);
      // Instances hear of a removal over Redis; without it a deployment is one instance.
      if (process.env.REDIS_URL) {
        await waitFor(
          async () => (await second.http().get(path)).status === 404,
          'the other instance to drop the image',
        );
      }
      await t.http().get(path).expect(404);
    } finally {
      await second.close();
    }
  });
});
