import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import { AppError } from '../common/errors.js';

export const AVATAR_MAX_BYTES = 2 * 1024 * 1024;
export const FULL_SIZE = 1024;
export const SMALL_SIZE = 128;
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);

export interface EncodedImage {
  data: Buffer;
  contentType: string;
  etag: string;
  width: number;
  height: number;
}

/** The full image and its small copy; `small` is null when the original is already small. */
export interface ProcessedAvatar {
  full: EncodedImage;
  small: EncodedImage | null;
}

/** The bytes of a `data:image/<type>;base64,<data>` URL. */
export function decodeAvatarDataUrl(value: string): Buffer {
  const match = /^data:image\/([a-z0-9.+-]+);base64,([A-Za-z0-9+/\r\n]+={0,2})$/i.exec(value);
  if (!match) {
    throw new AppError('invalid_avatar', 'avatar must be a data URL: data:image/<type>;base64,<data>');
  }
  // 4 base64 characters carry 3 bytes: refuse an oversized image before decoding it.
  if (Math.floor((match[2].replace(/\s/g, '').length * 3) / 4) > AVATAR_MAX_BYTES + 2) {
    throw new AppError('invalid_avatar', 'avatar must be at most 2 MB', { status: 413 });
  }
  return Buffer.from(match[2], 'base64');
}

/**
 * Decodes, orients and re-encodes an image with sharp: metadata stripped (EXIF, GPS), the full
 * image at most 1024 px on its longer side, a 128 px square copy for lists, both WebP.
 */
export async function processAvatar(input: Buffer): Promise<ProcessedAvatar> {
  if (input.length > AVATAR_MAX_BYTES) {
    throw new AppError('invalid_avatar', 'avatar must be at most 2 MB', { status: 413 });
  }
  if (input.length === 0) throw new AppError('invalid_avatar', 'avatar is empty');
  const metadata = await sharp(input, { limitInputPixels: 40_000_000 })
    .metadata()
    .catch(() => {
      throw new AppError('invalid_avatar', 'avatar is not an image');
    });
  const format: string | undefined = metadata.format;
  const width = metadata.autoOrient?.width ?? metadata.width ?? 0;
  const height = metadata.autoOrient?.height ?? metadata.height ?? 0;
  if (!format || !ACCEPTED_FORMATS.has(format)) {
    throw new AppError(
      'invalid_avatar',
      `avatar must be a JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF image, not ${format ?? 'unknown'}`,
    );
  }
  try {
    const pipeline = () => sharp(input, { limitInputPixels: 40_000_000, failOn: 'error' }).rotate();
    const full = await encode(
      pipeline().resize({ width: FULL_SIZE, height: FULL_SIZE, fit: 'inside', withoutEnlargement: true }),
    );
    const small =
      Math.max(width, height) <= SMALL_SIZE
        ? null
        : await encode(pipeline().resize({ width: SMALL_SIZE, height: SMALL_SIZE, fit: 'cover' }));
    return { full, small };
  } catch {
    throw new AppError('invalid_avatar', 'avatar image could not be decoded (truncated or corrupt)');
  }
}

async function encode(image: Sharp): Promise<EncodedImage> {
  const { data, info } = await image.webp({ quality: 85 }).toBuffer({ resolveWithObject: true });
  return {
    data,
    contentType: 'image/webp',
    etag: `"${createHash('sha256').update(data).digest('base64url').slice(0, 32)}"`,
    width: info.width,
    height: info.height,
  };
}
