import { generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

/** What the emulator answers a send to a token with: a status; the error body is FCM's own for it. */
export type FcmAnswer = 200 | 400 | 404 | 429 | 500 | 503;

const ERRORS: Record<Exclude<FcmAnswer, 200>, { status: string; errorCode: string; message: string }> = {
  400: {
    status: 'INVALID_ARGUMENT',
    errorCode: 'INVALID_ARGUMENT',
    message: 'The registration token is not a valid FCM registration token',
  },
  404: { status: 'NOT_FOUND', errorCode: 'UNREGISTERED', message: 'Requested entity was not found.' },
  429: { status: 'RESOURCE_EXHAUSTED', errorCode: 'QUOTA_EXCEEDED', message: 'Quota exceeded.' },
  500: { status: 'INTERNAL', errorCode: 'INTERNAL', message: 'Internal error encountered.' },
  503: { status: 'UNAVAILABLE', errorCode: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
};

/** One message the emulator received at messages:send, with what it answered. */
export interface ReceivedFcmMessage {
  token: string;
  message: {
    token?: string;
    notification?: { title?: string; body?: string };
    data?: Record<string, string>;
    android?: { collapse_key?: string; priority?: string; ttl?: string };
  };
  status: number;
  at: number;
  /** The access token it was sent with. */
  bearer: string;
}

export interface FcmEmulator {
  /** FCM_SERVICE_ACCOUNT_FILE (its token_uri points here) and FCM_ENDPOINT. */
  vars: Record<string, string>;
  projectId: string;
  received: ReceivedFcmMessage[];
  /** Access tokens minted for a valid assertion (in order), and sends refused for a bearer we did not mint. */
  tokensMinted(): number;
  mintedTokens(): string[];
  /** How long the access tokens minted from now on last (`expires_in`). */
  setTokenLifetime(seconds: number): void;
  refusedBearers(): number;
  /** Answers for a registration token, used in order; the last one repeats. Unscripted: 200. */
  answer(token: string, ...answers: FcmAnswer[]): void;
  messagesTo(token: string): ReceivedFcmMessage[];
  waitForMessages(token: string, count?: number, timeoutMs?: number): Promise<ReceivedFcmMessage[]>;
  close(): Promise<void>;
}

/**
 * A stand-in for Google's OAuth2 token endpoint and FCM HTTP v1, on loopback. A service account
 * key pair is made here and written as the JSON Firebase hands out, its `token_uri` pointing at
 * this server. The token endpoint checks the JWT-bearer assertion as Google does (RS256 signed by
 * the account's key, issued by its email, for the messaging scope, to this audience, within the
 * hour) and mints an access token; messages:send accepts only a bearer it minted, for this project.
 */
export async function startFcmEmulator(
  options: { tokenLifetimeSeconds?: number } = {},
): Promise<FcmEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'unichat-fcm-'));
  const projectId = 'unichat-test';
  const clientEmail = `push@${projectId}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const minted = new Map<string, number>();
  const scripts = new Map<string, FcmAnswer[]>();
  const received: ReceivedFcmMessage[] = [];
  let refusedBearers = 0;
  let lifetime = options.tokenLifetimeSeconds ?? 3600;

  const server = http.createServer((request, response) => {
    void read(request).then((body) => {
      const path = request.url ?? '';
      if (request.method === 'POST' && path === '/token') return mint(body, response);
      if (request.method === 'POST' && path === `/v1/projects/${projectId}/messages:send`) {
        return send(request, body, response);
      }
      reply(response, 404, { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const tokenUri = `${base}/token`;

  function mint(body: string, response: ServerResponse): void {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return reply(response, 400, { error: 'unsupported_grant_type' });
    }
    if (!validAssertion(form.get('assertion') ?? '', publicKey, clientEmail, tokenUri)) {
      return reply(response, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
    minted.set(accessToken, Date.now() + lifetime * 1000);
    reply(response, 200, { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' });
  }

  function send(request: IncomingMessage, body: string, response: ServerResponse): void {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const expires = minted.get(bearer);
    if (expires === undefined || expires < Date.now()) {
      refusedBearers += 1;
      return reply(response, 401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials.',
          status: 'UNAUTHENTICATED',
        },
      });
    }
    let message: ReceivedFcmMessage['message'] = {};
    try {
      message = (JSON.parse(body) as { message: ReceivedFcmMessage['message'] }).message ?? {};
    } catch {
      // recorded as {}: a test asserting the message fails on it
    }
    const token = message.token ?? '';
    const status = nextAnswer(scripts, token);
    received.push({ token, message, status, at: Date.now(), bearer });
    if (status === 200)
      return reply(response, 200, { name: `projects/${projectId}/messages/${received.length}` });
    const error = ERRORS[status];
    reply(response, status, {
      error: {
        code: status,
        message: error.message,
        status: error.status,
        details: [
          { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: error.errorCode },
          ...(status === 400
            ? [
                {
                  '@type': 'type.googleapis.com/google.rpc.BadRequest',
                  fieldViolations: [{ field: 'message.token', description: 'Invalid registration token' }],
                },
              ]
            : []),
        ],
      },
    });
  }

  const account = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: clientEmail,
    client_id: '100000000000000000000',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  };
  const accountFile = join(dir, 'service-account.json');
  await writeFile(accountFile, JSON.stringify(account, null, 2));

  const messagesTo = (token: string) => received.filter((message) => message.token === token);
  return {
    vars: { FCM_SERVICE_ACCOUNT_FILE: accountFile, FCM_ENDPOINT: base, PUSH_RETRY_BASE_MS: '40' },
    projectId,
    received,
    tokensMinted: () => minted.size,
    mintedTokens: () => [...minted.keys()],
    setTokenLifetime(seconds) {
      lifetime = seconds;
    },
    refusedBearers: () => refusedBearers,
    answer(token, ...answers) {
      scripts.set(token, answers);
    },
    messagesTo,
    waitForMessages(token, count = 1, timeoutMs = 5000) {
      return waitFor(
        () => messagesTo(token).length >= count && messagesTo(token),
        `${count} FCM message(s) to ${token.slice(0, 8)}…`,
        timeoutMs,
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function nextAnswer(scripts: Map<string, FcmAnswer[]>, token: string): FcmAnswer {
  const script = scripts.get(token);
  if (!script || script.length === 0) return 200;
  return script.length > 1 ? (script.shift() as FcmAnswer) : script[0];
}

/** Google's checks of a JWT-bearer assertion: RS256 by the account's key, its email, the scope, the audience, fresh. */
function validAssertion(jwt: string, publicKey: KeyObject, clientEmail: string, audience: string): boolean {
  const parts = jwt.split('.');
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {
      iss?: string;
      scope?: string;
      aud?: string;
      iat?: number;
      exp?: number;
    };
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      publicKey,
      Buffer.from(parts[2], 'base64url'),
    );
    const now = Date.now() / 1000;
    return (
      signed &&
      header.alg === 'RS256' &&
      claims.iss === clientEmail &&
      (claims.scope ?? '').split(' ').includes('https://www.googleapis.com/auth/firebase.messaging') &&
      claims.aud === audience &&
      (claims.iat ?? 0) <= now + 60 &&
      (claims.exp ?? 0) > now &&
      (claims.exp ?? 0) - (claims.iat ?? 0) <= 3600
    );
  } catch {
    return false;
  }
}

function read(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
  });
}

function reply(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(body));
}
