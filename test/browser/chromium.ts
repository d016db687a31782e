import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';

// Flags for a headless Chromium on a machine whose only network is loopback: without the
// background-networking ones it keeps trying (and failing) to reach Google's hosts.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium the browser tests drive: `CHROMIUM_PATH` when set (Debian's is /usr/bin/chromium),
 * else the one inside the npm package @sparticuz/chromium, a devDependency, so `npm ci` brings it
 * and nothing is downloaded. The package holds it brotli-compressed; it is unpacked once into a
 * folder named after the version (made under another name and renamed, so runs of other
 * checkouts at the same time never start a half-written binary). The package's own unpacker is
 * not used: it reuses whatever binary is at /tmp/chromium, of any version. Headless with
 * `--disable-gpu` needs none of the package's other parts (GL libraries, fonts).
 */
export async function chromiumPath(): Promise<string> {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given}: no such file`);
    return given;
  }
  // Tests run at the project's root; the package exports no package.json, ours pins its version.
  const packaged = join('node_modules', '@sparticuz', 'chromium', 'bin', 'chromium.br');
  if (!existsSync(packaged)) throw new Error(`${packaged} is missing: run "npm ci"`);
  const project = JSON.parse(readFileSync('package.json', 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const folder = join(tmpdir(), `unichat-chromium-${project.devDependencies['@sparticuz/chromium']}`);
  const binary = join(folder, 'chromium');
  if (existsSync(binary)) return binary;
  const unpacking = mkdtempSync(`${folder}-unpacking-`);
  await pipeline(
    createReadStream(packaged),
    createBrotliDecompress(),
    createWriteStream(join(unpacking, 'chromium'), { mode: 0o755 }),
  );
  try {
    renameSync(unpacking, folder);
  } catch (error) {
    // Another run got there first: use its copy.
    rmSync(unpacking, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS, timeout: 60_000 });
}
