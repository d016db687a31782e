import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import pLimit from 'p-limit';
import { AppError } from '../common/errors.js';
import { checkedLookup, isPublicAddress } from '../common/public-address.js';
import { AVATAR_MAX_BYTES } from './avatar-image.js';

const FETCH_TIMEOUT_MS = 10_000;
/**
 * Host name lookups of avatar URLs at once, in the whole process. A lookup holds a thread of
 * libuv's pool (4, shared with argon2 and sharp) until the resolver gives up, which no abort
 * shortens: a few URLs on a slow DNS domain must not stall every login.
 */
const lookupSlots = pLimit(1);
const MAX_REDIRECTS = 3;

export interface AvatarFetchOptions {
  /** Hosts that may resolve to private addresses (an intranet image host, a test server). */
  allowHosts: string[];
  /** PEM CA certificate(s) trusted in addition to Node's. */
  ca: string | null;
  /** The whole fetch, redirects included, ends within this; 10 s unless given. */
  timeoutMs?: number;
}

/**
 * The bytes of the image at an `https://` avatar URL. The service fetches on a
 * client's behalf, so it refuses to reach private, loopback or link-local addresses (checked on
 * the address it connects to, so a DNS answer cannot change between check and use), follows at
 * most 3 redirects, all `https://`, reads at most 2 MB and gives up after 10 s.
 */
export class AvatarFetcher {
  private readonly agent: https.Agent;
  private readonly allowHosts: Set<string>;
  private readonly timeoutMs: number;

  constructor(options: AvatarFetchOptions) {
    this.allowHosts = new Set(options.allowHosts.map((host) => host.toLowerCase()));
    this.timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
    this.agent = new https.Agent({
      keepAlive: false,
      ca: options.ca === null ? undefined : [...rootCertificates, options.ca],
    });
  }

  async fetch(url: string): Promise<Buffer> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.follow(this.parse(url), deadline);
    } catch (error) {
      if (deadline.aborted) throw new AppError('invalid_avatar', 'avatar URL took too long to answer');
      throw error;
    }
  }

  private async follow(first: URL, deadline: AbortSignal): Promise<Buffer> {
    let target = first;
    for (let redirects = 0; ; redirects += 1) {
      const response = await this.get(target, deadline);
      const location = response.headers.location;
      if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 400) {
        response.resume();
        if (!location || redirects === MAX_REDIRECTS) {
          throw new AppError('invalid_avatar', `avatar URL redirects too often or nowhere`);
        }
        if (!URL.canParse(location, target.href)) {
          throw new AppError('invalid_avatar', 'avatar URL redirects to an address that is not a URL');
        }
        target = this.parse(new URL(location, target).href);
        continue;
      }
      if (response.statusCode !== 200) {
        response.resume();
        throw new AppError('invalid_avatar', `avatar URL answered ${response.statusCode}, not an image`);
      }
      return read(response);
    }
  }

  private parse(value: string): URL {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new AppError('invalid_avatar', 'avatar must be a data URL or an https URL');
    }
    if (url.protocol !== 'https:') throw new AppError('invalid_avatar', 'avatar URLs must be https');
    if (url.username || url.password)
      throw new AppError('invalid_avatar', 'avatar URLs may not hold credentials');
    // An address given as such is never looked up: check it here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.allowHosts.has(host.toLowerCase())) assertPublic(host);
    return url;
  }

  private get(url: URL, deadline: AbortSignal): Promise<IncomingMessage> {
    const lookup = checkedLookup({
      check: !this.allowHosts.has(url.hostname.toLowerCase()),
      refuse: privateAddressError,
      queue: lookupSlots,
    });
    return new Promise((resolve, reject) => {
      const request = https.get(
        url,
        {
          agent: this.agent,
          lookup,
          // Aborting ends the request and, once it came, the response being read.
          signal: deadline,
          headers: { accept: 'image/*', 'user-agent': 'Unichat avatar fetcher' },
        },
        resolve,
      );
      request.on('error', (error) =>
        reject(
          error instanceof AppError
            ? error
            : new AppError('invalid_avatar', `avatar URL could not be fetched (${describe(error)})`),
        ),
      );
    });
  }
}

const privateAddressError = () =>
  new AppError('invalid_avatar', 'avatar URL leads to a private or reserved address');

function assertPublic(address: string): void {
  if (!isPublicAddress(address)) throw privateAddressError();
}

function describe(error: NodeJS.ErrnoException): string {
  return error.code ?? error.message;
}

async function read(response: IncomingMessage): Promise<Buffer> {
  const tooLarge = () => new AppError('invalid_avatar', 'avatar must be at most 2 MB', { status: 413 });
  if (Number(response.headers['content-length'] ?? 0) > AVATAR_MAX_BYTES) {
    response.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > AVATAR_MAX_BYTES) {
        response.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('invalid_avatar', `avatar URL could not be read (${describe(error as Error)})`);
  }
  return Buffer.concat(chunks);
}
