import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './tls.js';
import { waitFor } from './wait.js';

/** What the push service answers a push with. */
export type PushServiceAnswer = 201 | 404 | 410 | 429 | 500 | 503;

/** A browser's subscription, as `PushSubscription.toJSON()` gives it, and the keys only it holds. */
export interface BrowserSubscription {
  id: string;
  json: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
  /** `JSON.stringify(json)`: the device token the page registers. */
  token: string;
  endpoint: string;
}

/** One push the service received, decrypted with the subscription's own keys. */
export interface ReceivedWebPush {
  id: string;
  /** The VAPID public key (`k=`) the push was signed with. */
  vapidKey: string;
  vapidClaims: { aud?: string; exp?: number; sub?: string };
  ttl: string | undefined;
  topic: string | undefined;
  urgency: string | undefined;
  encoding: string | undefined;
  /** The decrypted JSON; null when the body could not be decrypted. */
  payload: {
    title?: string;
    body?: string;
    tag?: string;
    unichat?: { event: string; user_id: number };
  } | null;
  status: number;
  at: number;
}

export interface PushServiceEmulator {
  /** WEB_PUSH_CA_FILE (its self-signed certificate) and PUSH_ALLOW_PRIVATE (it is on loopback). */
  vars: Record<string, string>;
  /** Makes a subscription as a browser would: its own ECDH key pair and auth secret. */
  subscribe(): BrowserSubscription;
  /** The VAPID key the service's pushes must be signed with (the one the service publishes). */
  expectVapidKey(key: string): void;
  received: ReceivedWebPush[];
  /** Pushes refused for a missing or wrong VAPID signature, or a body that did not decrypt. */
  refused: { id: string; status: number; why: string }[];
  answer(id: string, ...answers: PushServiceAnswer[]): void;
  pushesTo(subscription: BrowserSubscription): ReceivedWebPush[];
  waitForPushes(
    subscription: BrowserSubscription,
    count?: number,
    timeoutMs?: number,
  ): Promise<ReceivedWebPush[]>;
  connections(): number;
  close(): Promise<void>;
}

/**
 * A stand-in for a browser's push service (RFC 8030) over HTTPS on loopback, with a self-signed
 * certificate. It checks the VAPID JWT (RFC 8292: `Authorization: vapid t=…, k=…`, ES256 signed
 * by `k`, `k` the key the service publishes, `aud` this origin, `exp` within a day) and decrypts
 * the aes128gcm body (RFC 8291) with the subscription's private key and auth secret.
 */
export async function startPushService(): Promise<PushServiceEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'unichat-webpush-'));
  const tls = await selfSignedCertificate(dir);
  const browsers = new Map<string, { ecdh: ECDH; auth: Buffer }>();
  const scripts = new Map<string, PushServiceAnswer[]>();
  const received: ReceivedWebPush[] = [];
  const refused: PushServiceEmulator['refused'] = [];
  let expectedKey: string | null = null;
  let connections = 0;

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    void readBody(request).then((body) => handle(request, body, response));
  });
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  const origin = `https://127.0.0.1:${port}`;

  function handle(request: IncomingMessage, body: Buffer, response: ServerResponse): void {
    const id = /^\/push\/([\w-]+)$/.exec(request.url ?? '')?.[1] ?? '';
    const browser = browsers.get(id);
    const refuse = (status: number, why: string) => {
      refused.push({ id, status, why });
      response.writeHead(status).end(why);
    };
    if (request.method !== 'POST' || !browser) return refuse(404, 'no such subscription');
    const vapid = /^vapid t=([\w.-]+), ?k=([\w-]+)$/.exec(request.headers.authorization ?? '');
    if (!vapid) return refuse(401, 'no VAPID authorization');
    const [, jwt, key] = vapid;
    if (key !== expectedKey) return refuse(403, 'signed with a key the subscription was not made for');
    const claims = vapidClaims(jwt, key);
    const now = Date.now() / 1000;
    if (
      !claims ||
      claims.aud !== origin ||
      !claims.exp ||
      claims.exp < now ||
      claims.exp > now + 86400 + 60
    ) {
      return refuse(403, 'VAPID JWT not valid');
    }
    if (!claims.sub || !/^(mailto:|https:)/.test(claims.sub)) return refuse(403, 'VAPID subject missing');
    if (request.headers['content-encoding'] !== 'aes128gcm') return refuse(415, 'not aes128gcm');
    let payload: ReceivedWebPush['payload'];
    try {
      payload = JSON.parse(
        decrypt(body, browser.ecdh, browser.auth).toString('utf8'),
      ) as ReceivedWebPush['payload'];
    } catch (error) {
      return refuse(400, `body did not decrypt: ${(error as Error).message}`);
    }
    const status = nextAnswer(scripts, id);
    received.push({
      id,
      vapidKey: key,
      vapidClaims: claims,
      ttl: request.headers.ttl as string | undefined,
      topic: request.headers.topic as string | undefined,
      urgency: request.headers.urgency as string | undefined,
      encoding: request.headers['content-encoding'],
      payload,
      status,
      at: Date.now(),
    });
    response
      .writeHead(status, status === 201 ? { location: `${origin}/message/${received.length}` } : {})
      .end();
  }

  const pushesTo = (subscription: BrowserSubscription) =>
    received.filter((push) => push.id === subscription.id);
  return {
    vars: { WEB_PUSH_CA_FILE: tls.certFile, PUSH_ALLOW_PRIVATE: 'true', PUSH_RETRY_BASE_MS: '40' },
    subscribe() {
      const id = randomBytes(12).toString('base64url');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      browsers.set(id, { ecdh, auth });
      const json = {
        endpoint: `${origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') },
      };
      return { id, json, token: JSON.stringify(json), endpoint: json.endpoint };
    },
    expectVapidKey(key) {
      expectedKey = key;
    },
    received,
    refused,
    answer(id, ...answers) {
      scripts.set(id, answers);
    },
    pushesTo,
    waitForPushes(subscription, count = 1, timeoutMs = 5000) {
      return waitFor(
        () => pushesTo(subscription).length >= count && pushesTo(subscription),
        `${count} web push(es) to ${subscription.id}`,
        timeoutMs,
      );
    },
    connections: () => connections,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The claims of an ES256 JWT signed by the P-256 key `k` (65 bytes, base64url); null when not. */
function vapidClaims(jwt: string, k: string): ReceivedWebPush['vapidClaims'] | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const point = Buffer.from(k, 'base64url');
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2], 'base64url'),
    );
    if (!signed || header.alg !== 'ES256') return null;
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as ReceivedWebPush['vapidClaims'];
  } catch {
    return null;
  }
}

/**
 * RFC 8291 as the browser does it: the header (salt, record size, the sender's ephemeral key),
 * the shared secret with our private key, the auth secret mixed in, then one AES-128-GCM record
 * whose plaintext ends with the 0x02 delimiter and optional zero padding.
 */
function decrypt(body: Buffer, ecdh: ECDH, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20];
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (idLength !== 65 || record.length > recordSize) throw new Error('bad aes128gcm header');
  const shared = ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end);
}

function nextAnswer(scripts: Map<string, PushServiceAnswer[]>, id: string): PushServiceAnswer {
  const script = scripts.get(id);
  if (!script || script.length === 0) return 201;
  return script.length > 1 ? (script.shift() as PushServiceAnswer) : script[0];
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
