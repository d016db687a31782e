import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';

export const PASSWORD = 'Correct-horse-42';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  location: string | null;
  etag: string | null;
}

export interface BenchUser {
  id: number;
  email: string;
  accessToken: string;
  authToken: string;
}

/** One request through the public API, as any client would send it. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(base + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: parseBody(text),
    location: response.headers.get('location'),
    etag: response.headers.get('etag'),
  };
}

/** An answer as it went over the wire, kept in a file for the bench servers that answer it again. */
export interface RecordedAnswer {
  status: number;
  /** Every header line in the order sent, each name spelled as sent. */
  headers: [name: string, value: string][];
  /** The body's bytes, in base64. */
  body: string;
}

/** Header lines node:http writes itself, or that belong to one connection: not part of an answer to give again. */
export const WRITTEN_BY_NODE = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
]);

/**
 * One GET through node:http rather than fetch, whose headers come back with their names lowered,
 * sorted and joined: a bench server answering the same again needs the lines as they were sent.
 */
export function recordAnswer(base: string, path: string, token?: string): Promise<RecordedAnswer> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return new Promise((done, fail) => {
    const request = get(base + path, { headers, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        const raw = response.rawHeaders;
        done({
          status: response.statusCode ?? 0,
          headers: Array.from({ length: raw.length / 2 }, (_, index) => [raw[2 * index], raw[2 * index + 1]]),
          body: Buffer.concat(chunks).toString('base64'),
        });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path}: no answer within 30 s`)));
    request.on('error', fail);
  });
}

function parseBody(text: string): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return { text };
  }
}

export async function expectStatus(answer: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const result = await answer;
  if (result.status !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`,
    );
  }
  return result;
}

/** Runs `work` over `items` with at most `concurrency` at a time; the results keep the order. */
export async function inBatches<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Confirmation links in the .eml files of the dev mail transport, by recipient; each file is read once. */
class ConfirmationMails {
  private readonly seen = new Set<string>();
  readonly links = new Map<string, string>();

  constructor(private readonly mailDir: string) {}

  async read(): Promise<void> {
    const names = await readdir(this.mailDir).catch(() => [] as string[]);
    const fresh = names.filter((name) => name.endsWith('.eml') && !this.seen.has(name));
    await inBatches(fresh, 32, async (name) => {
      const raw = await readFile(join(this.mailDir, name), 'utf8');
      const to = /^To: (.*)$/im.exec(raw)?.[1]?.trim();
      const link = /https?:\/\/\S+\/auth\/confirm\?token=[\w-]+/.exec(raw)?.[0];
      if (!to || !link) return; // still being written: read it again next time
      this.seen.add(name);
      this.links.set(to.toLowerCase(), link);
    });
  }
}

/**
 * Registers `count` users through the API (auto_login, so one password hash each), then confirms
 * every address from its mail, as a person would.
 */
export async function createUsers(
  base: string,
  mailDir: string,
  count: number,
  label: string,
  concurrency = 8,
): Promise<BenchUser[]> {
  const run = randomBytes(3).toString('hex');
  const users = await inBatches(
    Array.from({ length: count }, (_, index) => index),
    concurrency,
    async (index) => {
      const email = `${label}${index}.${run}@bench.example.com`;
      const answer = await expectStatus(
        call(base, 'POST', '/api/v1/auth/register', {
          body: { email, password: PASSWORD, auto_login: true },
        }),
        201,
        `register ${email}`,
      );
      const user = answer.body.user as { id: number; auth_token?: string };
      return {
        id: user.id,
        email,
        accessToken: answer.body.access_token as string,
        authToken: (answer.body.auth_token as string | undefined) ?? (user.auth_token as string),
      };
    },
  );
  const mails = new ConfirmationMails(mailDir);
  const links = await waitUntil(
    async () => {
      await mails.read();
      return users.every((user) => mails.links.has(user.email.toLowerCase())) ? mails.links : undefined;
    },
    `${count} confirmation mails`,
    60_000 + count * 20,
  );
  await inBatches(users, 16, async (user) => {
    const link = new URL(links.get(user.email.toLowerCase()) as string);
    const answer = await call(base, 'GET', link.pathname + link.search);
    if (!answer.location?.includes('email_confirmed=1')) {
      throw new Error(`confirming ${user.email}: ${answer.status} ${answer.location}`);
    }
  });
  return users;
}

/** Whether a route exists: anything but a 404 from a request that names an existing thing. */
export async function routeExists(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
) {
  return (await call(base, method, path, { token, body })).status !== 404;
}
