import sharp from 'sharp';

/** A real image made for the test: a gradient, so encoders have something to encode. */
export async function makeImage(
  width: number,
  height: number,
  format: 'png' | 'jpeg',
  options: { exif?: boolean } = {},
): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    const x = (i / 3) % width;
    const y = Math.floor(i / 3 / width);
    pixels[i] = (x * 255) / width;
    pixels[i + 1] = (y * 255) / height;
    pixels[i + 2] = 128;
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (options.exif) image = image.withExif({ IFD0: { Copyright: 'secret-location-tag' } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 90 }).toBuffer();
}

/** Random noise: does not compress, so a size can be reached exactly. */
export async function makeNoisePng(bytesAtLeast: number): Promise<Buffer> {
  const side = Math.ceil(Math.sqrt(bytesAtLeast / 3)) + 8;
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = Math.floor(Math.random() * 256);
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

export const dataUrl = (bytes: Buffer, type = 'png') =>
  `data:image/${type};base64,${bytes.toString('base64')}`;

/** Heavy as a phone photo: a gradient with sensor noise, which PNG cannot squeeze much. */
export async function makeNoisyPhoto(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    const x = (i / 3) % width;
    const y = Math.floor(i / 3 / width);
    const grain = () => Math.floor(Math.random() * 48) - 24;
    pixels[i] = Math.max(0, Math.min(255, (x * 255) / width + grain()));
    pixels[i + 1] = Math.max(0, Math.min(255, (y * 255) / height + grain()));
    pixels[i + 2] = Math.max(0, Math.min(255, 160 + grain()));
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
