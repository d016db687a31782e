// Pushes (`npm run bench -- --only=push`): the service's FCM and Web Push providers, as one
// instance runs them, send to local servers that play FCM (with Google's token endpoint) and a push
// service over HTTPS (bench/push-servers.ts, in a child process, so the two sides do not share an
// event loop). Rows: pushes per second for each, and what a Web Push payload's encryption
// (RFC 8291) and VAPID signature cost per push.
import { execFile, fork } from 'node:child_process';
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import pLimit from 'p-limit';
import webpush from 'web-push';
import { type AppConfig, loadConfig } from '../src/config/app-config.js';
import { FcmProvider } from '../src/devices/fcm.provider.js';
import { pushMessages } from '../src/devices/push-messages.js';
import type { PushProvider } from '../src/devices/push-provider.js';
import { WebPushProvider } from '../src/devices/web-push.provider.js';
import type { BenchContext } from './context.js';
import { failed, round1, row } from './report.js';

const PUSH_SERVERS = resolve('dist/bench/push-servers.js');

export async function measurePush(context: BenchContext): Promise<void> {
  const pushes = context.options.quick ? 1500 : 4000;
  const concurrency = 64;
  const dir = join(context.root, 'push');
  mkdirSync(dir, { recursive: true });
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
  const child = fork(PUSH_SERVERS, [dir], { stdio: 'inherit' });
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
    const rate = (r: Rate) =>
      `${r.perSecond.toFixed(0)} pushes/s, ${r.cpuMicros.toFixed(0)} µs of CPU a push (${(1e6 / r.cpuMicros).toFixed(0)}/s per core)`;
    const details = { pushes, concurrency };
    context.rows.push(
      row('push-fcm', 'pushes to FCM HTTP v1 (loopback), one instance', rate(fcmRate), 'report', 'report', {
        ...details,
        ...fcmRate,
      }),
      row(
        'push-web',
        'pushes to a Web Push service (HTTPS), one instance',
        rate(webRate),
        'report',
        'report',
        {
          ...details,
          ...webRate,
        },
      ),
      row(
        'push-web-crypto',
        'Web Push payload encryption per push (ECDH + AES-GCM)',
        `${round1(encryptOnly)} µs; with the VAPID signature ${round1(withVapid)} µs`,
        'report',
        'report',
      ),
    );
    web.onApplicationShutdown();
  } catch (error) {
    context.rows.push(failed('push-fcm', 'pushes', '', error));
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
