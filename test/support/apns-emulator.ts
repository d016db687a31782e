import { generateKeyPairSync, type KeyObject, randomUUID, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './tls.js';
import { waitFor } from './wait.js';

/** What the emulator answers for a token: a status; the reason body is APNs' own for that status. */
export type ApnsAnswer = 200 | 400 | 403 | 410 | 429 | 500 | 503;

const REASONS: Record<Exclude<ApnsAnswer, 200>, string> = {
  400: 'BadDeviceToken',
  403: 'InvalidProviderToken',
  410: 'Unregistered',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

/** One request the emulator received, with what it answered. */
export interface ReceivedPush {
  token: string;
  method: string;
  path: string;
  topic: string | undefined;
  pushType: string | undefined;
  priority: string | undefined;
  expiration: string | undefined;
  /** apns-collapse-id: APNs shows one notification for pushes that share it. */
  collapseId: string | undefined;
  /** The JSON body: `aps` plus custom keys (`unichat`). */
  payload: {
    aps?: { alert?: { title?: string; body?: string }; sound?: string };
    unichat?: { event: string; user_id: number };
    [key: string]: unknown;
  };
  status: number;
  reason: string | null;
  /** Date.now() when it arrived. */
  at: number;
}

export interface ApnsEmulator {
  /** APNS_* variables that point the service at this emulator (key, ids, topic, host, port, CA). */
  vars: Record<string, string>;
  keyId: string;
  teamId: string;
  topic: string;
  /** Every request, in arrival order (including those refused for a bad path, topic or JWT). */
  received: ReceivedPush[];
  /**
   * Answers for a token, used in order; the last one repeats. Unscripted tokens get 200.
   * `answer(token, 429, 200)`: refused once as throttled, then accepted.
   */
  answer(token: string, ...answers: ApnsAnswer[]): void;
  pushesTo(token: string): ReceivedPush[];
  /** Holds every answer back until `resume()` (APNs being slow); requests are still recorded. */
  pause(): void;
  resume(): void;
  /** HTTP/2 connections made to the emulator so far, and those open now. */
  connections(): { made: number; open: number };
  /** Waits until `count` requests for the token arrived; returns them all. */
  waitForPushes(token: string, count?: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

/**
 * A stand-in for api.push.apple.com: an HTTP/2 TLS server on loopback with a self-signed
 * certificate. It checks what APNs checks (POST /3/device/<token>, the apns-topic header, an ES256
 * provider JWT signed with the team's key, naming its key id and team) and answers as scripted.
 */
export async function startApnsEmulator(): Promise<ApnsEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'unichat-apns-'));
  const keyId = 'KEY1234567';
  const teamId = 'TEAM123456';
  const topic = 'com.example.unichat';

  // The team's signing key, as Apple hands it out: a P-256 key in a PKCS#8 .p8 file.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyFile = join(dir, `AuthKey_${keyId}.p8`);
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));

  const tls = await selfSignedCertificate(dir);
  const scripts = new Map<string, ApnsAnswer[]>();
  const received: ReceivedPush[] = [];

  const server = http2.createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: false });
  const sessions = new Set<http2.ServerHttp2Session>();
  let made = 0;
  let paused: Promise<void> | null = null;
  let release = () => undefined as void;
  server.on('session', (session) => {
    made += 1;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', async () => {
      const path = String(headers[':path'] ?? '');
      const token = /^\/3\/device\/([^/?]+)$/.exec(path)?.[1] ?? '';
      const refusal = check(headers, path, publicKey, keyId, teamId, topic);
      const answer = refusal ? null : nextAnswer(scripts, token);
      const status = refusal?.status ?? answer ?? 200;
      const reason = refusal?.reason ?? (status === 200 ? null : REASONS[status as Exclude<ApnsAnswer, 200>]);
      let payload: ReceivedPush['payload'] = {};
      try {
        payload = JSON.parse(body) as ReceivedPush['payload'];
      } catch {
        // recorded as {}: a test asserting the payload fails on it
      }
      received.push({
        token,
        method: String(headers[':method']),
        path,
        topic: headers['apns-topic'] as string | undefined,
        pushType: headers['apns-push-type'] as string | undefined,
        priority: headers['apns-priority'] as string | undefined,
        expiration: headers['apns-expiration'] as string | undefined,
        collapseId: headers['apns-collapse-id'] as string | undefined,
        payload,
        status,
        reason,
        at: Date.now(),
      });
      await paused;
      if (stream.closed) return;
      const apnsId = (headers['apns-id'] as string | undefined) ?? randomUUID();
      if (status === 200) {
        stream.respond({ ':status': 200, 'apns-id': apnsId });
        stream.end();
      } else {
        stream.respond({ ':status': status, 'apns-id': apnsId, 'content-type': 'application/json' });
        stream.end(JSON.stringify(status === 410 ? { reason, timestamp: Date.now() } : { reason }));
      }
    });
  });
  server.on('sessionError', () => undefined);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };

  const pushesTo = (token: string) => received.filter((push) => push.token === token);
  return {
    vars: {
      APNS_KEY_FILE: keyFile,
      APNS_KEY_ID: keyId,
      APNS_TEAM_ID: teamId,
      APNS_TOPIC: topic,
      APNS_HOST: '127.0.0.1',
      APNS_PORT: String(port),
      APNS_CA_FILE: tls.certFile,
      APNS_RETRY_BASE_MS: '40',
    },
    keyId,
    teamId,
    topic,
    received,
    answer(token, ...answers) {
      scripts.set(token, answers);
    },
    pushesTo,
    pause() {
      paused ??= new Promise<void>((done) => (release = done));
    },
    resume() {
      release();
      paused = null;
    },
    connections: () => ({ made, open: sessions.size }),
    waitForPushes(token, count = 1, timeoutMs = 5000) {
      return waitFor(
        () => pushesTo(token).length >= count && pushesTo(token),
        `${count} push(es) to ${token.slice(0, 8)}…`,
        timeoutMs,
      );
    },
    async close() {
      release();
      // Ends the service's long-lived HTTP/2 session too, if the service still holds one.
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const session of sessions) session.destroy();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function nextAnswer(scripts: Map<string, ApnsAnswer[]>, token: string): ApnsAnswer | null {
  const script = scripts.get(token);
  if (!script || script.length === 0) return null;
  return script.length > 1 ? (script.shift() as ApnsAnswer) : script[0];
}

/** What real APNs refuses before looking at the token: wrong method or path, topic, provider token. */
function check(
  headers: http2.IncomingHttpHeaders,
  path: string,
  publicKey: KeyObject,
  keyId: string,
  teamId: string,
  topic: string,
): { status: number; reason: string } | null {
  if (headers[':method'] !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
  if (!/^\/3\/device\/[0-9a-f]+$/.test(path)) return { status: 404, reason: 'BadPath' };
  if (headers['apns-topic'] === undefined) return { status: 400, reason: 'MissingTopic' };
  if (headers['apns-topic'] !== topic) return { status: 400, reason: 'TopicDisallowed' };
  const authorization = String(headers.authorization ?? '');
  const jwt = /^bearer (.+)$/i.exec(authorization)?.[1];
  if (!jwt) return { status: 403, reason: 'MissingProviderToken' };
  return validJwt(jwt, publicKey, keyId, teamId) ? null : { status: 403, reason: 'InvalidProviderToken' };
}

/** An ES256 JWT (JOSE signature: raw r‖s) naming our key id, issued by our team within the hour. */
function validJwt(jwt: string, publicKey: KeyObject, keyId: string, teamId: string): boolean {
  const parts = jwt.split('.');
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as {
      alg?: string;
      kid?: string;
    };
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {
      iss?: string;
      iat?: number;
    };
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2], 'base64url'),
    );
    const age = Date.now() / 1000 - (claims.iat ?? 0);
    return (
      signed &&
      header.alg === 'ES256' &&
      header.kid === keyId &&
      claims.iss === teamId &&
      age >= -60 &&
      age < 3600
    );
  } catch {
    return false;
  }
}
