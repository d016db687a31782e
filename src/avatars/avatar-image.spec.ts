import sharp from 'sharp';
import { AppError } from '../common/errors.js';
import { AVATAR_MAX_BYTES, decodeAvatarDataUrl, processAvatar } from './avatar-image.js';

/** A real image: a gradient, so the encoders have something to encode. */
async function image(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'gif' = 'png',
  orientation?: number,
) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = (((i / 3) % width) * 255) / width;
    pixels[i + 1] = (Math.floor(i / 3 / width) * 255) / height;
    pixels[i + 2] = 90;
  }
  let encoder = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (orientation) encoder = encoder.withMetadata({ orientation });
  return encoder.toFormat(format).toBuffer();
}

async function refusal(work: () => unknown): Promise<{ code: string; status: number; text: string }> {
  try {
    await work();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, status: error.status, text: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('avatar data URLs', () => {
  it('decodes data:image/<type>;base64,<data>', async () => {
    const png = await image(4, 4);
    expect(decodeAvatarDataUrl(`data:image/png;base64,${png.toString('base64')}`).equals(png)).toBe(true);
  });

  it.each([
    ['a plain string', 'hello'],
    ['a data URL without a type', 'data:;base64,iVBORw0KGgo='],
    ['a data URL of another media type', 'data:text/plain;base64,aGVsbG8='],
    ['a data URL that is not base64', 'data:image/png,hello'],
    ['a data URL without data', 'data:image/png;base64,'],
    ['a data URL with characters outside base64', 'data:image/png;base64,abc$def'],
    ['a URL over plain http', 'http://example.com/me.png'],
    // https URLs are fetched by AvatarsService (avatar-fetch.ts), never decoded here.
    ['an https URL', 'https://example.com/me.png'],
  ])('refuses %s with 400 invalid_avatar', async (_case, value) => {
    expect(await refusal(() => decodeAvatarDataUrl(value))).toMatchObject({
      code: 'invalid_avatar',
      status: 400,
    });
  });

  it('refuses more than 2 MB of data with 413 before decoding it', async () => {
    const base64 = 'A'.repeat(Math.ceil(((AVATAR_MAX_BYTES + 3) * 4) / 3));
    expect(await refusal(() => decodeAvatarDataUrl(`data:image/png;base64,${base64}`))).toEqual({
      code: 'invalid_avatar',
      status: 413,
      text: 'avatar must be at most 2 MB',
    });
  });
});

describe('avatar processing', () => {
  it('scales a large image to at most 1024 px and makes a 128 px square copy, both WebP', async () => {
    const avatar = await processAvatar(await image(2000, 1000));
    expect(avatar.full).toMatchObject({ contentType: 'image/webp', width: 1024, height: 512 });
    expect(await sharp(avatar.full.data).metadata()).toMatchObject({
      format: 'webp',
      width: 1024,
      height: 512,
    });
    expect(avatar.small).toMatchObject({ contentType: 'image/webp', width: 128, height: 128 });
  });

  it('never enlarges, and keeps one image when the original is at most 128 px', async () => {
    for (const [width, height] of [
      [128, 128],
      [40, 100],
    ]) {
      const avatar = await processAvatar(await image(width, height, 'jpeg'));
      expect(avatar.full).toMatchObject({ width, height });
      expect(avatar.small).toBeNull();
    }
    expect((await processAvatar(await image(129, 20))).small).not.toBeNull();
  });

  it('turns the image upright by its EXIF orientation, then drops the metadata', async () => {
    const avatar = await processAvatar(await image(200, 100, 'jpeg', 6));
    expect(avatar.full).toMatchObject({ width: 100, height: 200 });
    const metadata = await sharp(avatar.full.data).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
  });

  it('gives the same content the same ETag and other content another', async () => {
    const png = await image(300, 300);
    const [a, b, c] = await Promise.all([
      processAvatar(png),
      processAvatar(png),
      processAvatar(await image(301, 300)),
    ]);
    expect(a.full.etag).toMatch(/^"[\w-]+"$/);
    expect(a.full.etag).toBe(b.full.etag);
    expect(a.full.etag).not.toBe(c.full.etag);
    expect(a.small?.etag).not.toBe(a.full.etag);
  });

  it('accepts a GIF (first frame)', async () => {
    expect((await processAvatar(await image(300, 200, 'gif'))).full).toMatchObject({
      width: 300,
      height: 200,
    });
  });

  it.each([
    ['empty input', async () => Buffer.alloc(0)],
    ['text', async () => Buffer.from('just some text, not an image at all')],
    ['a truncated PNG', async () => (await image(600, 600)).subarray(0, 2000)],
    ['a truncated JPEG', async () => (await image(600, 600, 'jpeg')).subarray(0, 3000)],
    [
      'an SVG (a document, not a picture)',
      async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
    ],
  ])('refuses %s with 400 invalid_avatar', async (_case, make) => {
    const input = await make();
    expect(await refusal(() => processAvatar(input))).toMatchObject({ code: 'invalid_avatar', status: 400 });
  });

  it('refuses more than 2 MB with 413 invalid_avatar', async () => {
    expect(await refusal(() => processAvatar(Buffer.alloc(AVATAR_MAX_BYTES + 1)))).toMatchObject({
      code: 'invalid_avatar',
      status: 413,
    });
  });
});
