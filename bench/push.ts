// Push throughput: `npm run build && node dist/bench/push.js [--pushes=N] [--concurrency=N]`.
// The service's FCM and Web Push providers, as one instance runs them, send to local servers that
// play FCM (with Google's token endpoint) and a push service over HTTPS; those run in a child
// process, so the two sides do not share an event loop. Prints pushes per second for each, and
// what the Web Push encryption (RFC 8291) and VAPID signature cost per push.
import { execFile, fork } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createECDH } from 'node:crypto';
import { Logger } from '@nestjs/common';
import pLimit from 'p-limit';
import webpush from 'web-push';
import { type AppConfig, loadConfig } from '../src/config/app-config.js';
import { FcmProvider } from '../src/devices/fcm.provider.js';
import { pushMessages } from '../src/devices/push-messages.js';
import type { PushProvider } from '../src/devices/push-provider.js';
import { WebPushProvider } from '../src/devices/web-push.provider.js';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=');
    return [name, value ?? 'true'] as const;
  }),
);

if (args.has('serve')) void serve(args.get('serve') as string);
else void main();

/** The child: a plain FCM + token endpoint, and an HTTPS push service answering 201. */
async function serve(dir: string): Promise<void> {
  const fcm = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        request.url === '/token'
          ? JSON.stringify({ access_token: 'ya29.bench', expires_in: 3600, token_type: 'Bearer' })
          : '{"name":"projects/bench/messages/1"}',
      );
    });
  });
  const push = https.createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(201).end());
    },
  );
  await Promise.all([
    new Promise<void>((done) => fcm.listen(0, '127.0.0.1', done)),
    new Promise<void>((done) => push.listen(0, '127.0.0.1', done)),
  ]);
  process.send?.({
    fcm: (fcm.address() as { port: number }).port,
    push: (push.address() as { port: number }).port,
  });
}

async function main(): Promise<void> {
  const pushes = Number(args.get('pushes') ?? 4000);
  const concurrency = Number(args.get('concurrency') ?? 64);
  const dir = mkdtempSync(join(tmpdir(), 'unichat-bench-push-'));
  Logger.overrideLogger(['error']);
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const child = fork(new URL(import.meta.url).pathname, [`--serve=${dir}`], { stdio: 'inherit' });
  const ports = await new Promise<{ fcm: number; push: number }>((done) => child.once('message', done));
  try {
    const account = join(dir, 'account.json');
    writeFileSync(
      account,
      JSON.stringify({
        type: 'service_account',
        project_id: 'bench',
        client_email: 'bench@bench.iam.gserviceaccount.com',
        private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
        token_uri: `http://127.0.0.1:${ports.fcm}/token`,
      }),
    );
    const config = {
      ...loadConfig({
        DATA_DIR: dir,
        FCM_SERVICE_ACCOUNT_FILE: account,
        FCM_ENDPOINT: `http://127.0.0.1:${ports.fcm}`,
        PUSH_ALLOW_PRIVATE: 'true',
        WEB_PUSH_CA_FILE: join(dir, 'cert.pem'),
      }),
      jwtSecret: 'unused',
    } as AppConfig;
    const fcm = new FcmProvider(config);
    fcm.onModuleInit();
    const web = new WebPushProvider(config);
    web.onModuleInit();

    const message = { ...pushMessages.test(1), collapseId: 'test_push:bench' };
    const fcmTokens = Array.from(
      { length: pushes },
      () => `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`,
    );
    const subscriptions = Array.from({ length: pushes }, () => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      return JSON.stringify({
        endpoint: `https://127.0.0.1:${ports.push}/push/${randomBytes(12).toString('base64url')}`,
        expirationTime: null,
        keys: { p256dh: ecdh.getPublicKey('base64url'), auth: randomBytes(16).toString('base64url') },
      });
    });

    // Warm-up: the first access token, TLS sessions, JIT.
    await run(fcm, message, fcmTokens.slice(0, 200), concurrency);
    await run(web, message, subscriptions.slice(0, 200), concurrency);
    const fcmRate = await run(fcm, message, fcmTokens, concurrency);
    const webRate = await run(web, message, subscriptions, concurrency);

    const subscription = JSON.parse(subscriptions[0]) as webpush.PushSubscription;
    const payload = JSON.stringify({
      title: message.title,
      body: message.body,
      tag: 'x',
      unichat: { event: 'test_push', user_id: 1 },
    });
    const keys = webpush.generateVAPIDKeys();
    const encryptOnly = perCall(2000, () =>
      webpush.generateRequestDetails(subscription, payload, { contentEncoding: 'aes128gcm' }),
    );
    const withVapid = perCall(2000, () =>
      webpush.generateRequestDetails(subscription, payload, {
        contentEncoding: 'aes128gcm',
        vapidDetails: { subject: 'mailto:bench@unichat.example', ...keys },
      }),
    );
    console.log(
      `pushes: ${pushes}, at most ${concurrency} at once, one instance (this process), servers in a child process`,
    );
    const rate = (r: Rate) =>
      `${r.perSecond.toFixed(0)} pushes/s, ${r.cpuMicros.toFixed(0)} µs of CPU a push (${(1e6 / r.cpuMicros).toFixed(0)}/s per core)`;
    console.log(`FCM HTTP v1 (plain HTTP to loopback): ${rate(fcmRate)}`);
    console.log(`Web Push (HTTPS, aes128gcm + VAPID): ${rate(webRate)}`);
    console.log(
      `Web Push encryption per push: ${encryptOnly.toFixed(0)} µs; with the VAPID signature: ${withVapid.toFixed(0)} µs`,
    );
    web.onApplicationShutdown();
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Rate {
  perSecond: number;
  /** CPU time of this process per push (user + system): what a busy VM does not distort. */
  cpuMicros: number;
}

async function run(
  provider: PushProvider,
  message: ReturnType<typeof pushMessages.test>,
  tokens: string[],
  concurrency: number,
): Promise<Rate> {
  const limit = pLimit(concurrency);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const answers = await Promise.all(
    tokens.map((token) => limit(() => provider.send(message, [token], new Date()))),
  );
  const seconds = (performance.now() - started) / 1000;
  const refused = answers.flat().filter((answer) => answer.verdict !== 'accepted');
  if (refused.length > 0)
    throw new Error(`${provider.name}: ${refused.length} not accepted: ${refused[0].detail}`);
  const used = process.cpuUsage(cpu);
  return { perSecond: tokens.length / seconds, cpuMicros: (used.user + used.system) / tokens.length };
}

function perCall(count: number, work: () => unknown): number {
  for (let n = 0; n < 200; n += 1) work();
  const started = performance.now();
  for (let n = 0; n < count; n += 1) work();
  return ((performance.now() - started) * 1000) / count;
}
