/**
 * The cost of the ways in, one request at a time on an idle service (in process, SQLite, loopback):
 * a password login without and with two-step login (its password step and its code step), and a
 * passkey sign-in. `node dist/bench/sign-in.js [rounds]`; the figures go to docs/benchmarks.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generate } from 'otplib';
import { createApp } from '../src/app.setup.js';
import { loadConfig } from '../src/config/app-config.js';
import { keepJwtSecret } from '../src/config/kept-jwt-secret.js';
import { SecretBox } from '../src/common/secret-box.js';
import { newTotpSecret, totpStep } from '../src/mfa/totp.js';
import { SoftwareAuthenticator } from '../test/support/authenticator.js';
import { type BenchUser, call, createUsers, expectStatus, PASSWORD } from './api.js';

const rounds = Number(process.argv[2] ?? 30);

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms (${samples.length})`;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'unichat-bench-sign-in-'));
  const { config } = keepJwtSecret(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      PUBLIC_URL: 'http://127.0.0.1',
      REGISTRATIONS_PER_HOUR: '100000',
    }),
  );
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  try {
    // Each user logs in once per round: a TOTP code is accepted once per 30 s step.
    const plain = await createUsers(base, join(dataDir, 'mail'), rounds, 'plain');
    const twoStep = await createUsers(base, join(dataDir, 'mail'), rounds, 'totp');
    const secrets = new Map<number, string>();
    for (const user of twoStep) {
      const setup = await expectStatus(
        call(base, 'POST', '/api/v1/me/mfa/totp', {
          token: user.accessToken,
          body: { current_password: PASSWORD },
        }),
        200,
        'totp set-up',
      );
      const secret = setup.body.secret as string;
      await expectStatus(
        call(base, 'POST', '/api/v1/me/mfa/totp/confirm', {
          token: user.accessToken,
          body: { code: await generate({ secret }) },
        }),
        200,
        'totp confirm',
      );
      secrets.set(user.id, secret);
    }
    const authenticator = new SoftwareAuthenticator(new URL(config.publicUrl).origin);
    const owner: BenchUser = plain[0];
    const options = await call(base, 'POST', '/api/v1/me/passkeys/options', { token: owner.accessToken });
    const credential = authenticator.create(options.body as never);
    await expectStatus(
      call(base, 'POST', '/api/v1/me/passkeys', {
        token: owner.accessToken,
        body: { response: credential, name: 'Bench' },
      }),
      201,
      'passkey',
    );

    const password: number[] = [];
    const passwordStep: number[] = [];
    const codeStep: number[] = [];
    const passkeyOptions: number[] = [];
    const passkeySignIn: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [, plainMs] = await timed(() =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/login', {
            body: { email: plain[round].email, password: PASSWORD },
          }),
          200,
          'login',
        ),
      );
      password.push(plainMs);
      const user = twoStep[round];
      const [challenge, stepMs] = await timed(() =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: PASSWORD } }),
          401,
          'password step',
        ),
      );
      passwordStep.push(stepMs);
      const mfaToken = (challenge.body.error as { mfa_token: string }).mfa_token;
      // The code step of the next 30 s: the one used to confirm the app is spent.
      const code = await generate({
        secret: secrets.get(user.id) as string,
        epoch: Math.floor(Date.now() / 1000) + 30,
      });
      const [, codeMs] = await timed(() =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/login/mfa', { body: { mfa_token: mfaToken, code } }),
          200,
          'code',
        ),
      );
      codeStep.push(codeMs);
      const [signIn, optionsMs] = await timed(() => call(base, 'POST', '/api/v1/auth/passkey/options'));
      passkeyOptions.push(optionsMs);
      const { challenge_id: challengeId, options: requestOptions } = signIn.body as {
        challenge_id: string;
        options: { challenge: string; rpId: string };
      };
      const answer = authenticator.get(requestOptions, credential.id);
      const [, signInMs] = await timed(() =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/passkey', {
            body: { challenge_id: challengeId, response: answer },
          }),
          200,
          'passkey sign-in',
        ),
      );
      passkeySignIn.push(signInMs);
    }
    console.log(`password login, no second factor: ${summary(password)}`);
    console.log(`two-step login, password step:    ${summary(passwordStep)}`);
    console.log(`two-step login, code step:        ${summary(codeStep)}`);
    console.log(`passkey sign-in options:          ${summary(passkeyOptions)}`);
    console.log(`passkey sign-in:                  ${summary(passkeySignIn)}`);
    console.log(
      `code check alone (open the sealed secret, RFC 6238 ±1 step): ${await codeCheckMicros()} µs of CPU`,
    );
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The CPU a code check adds (process CPU time, so a busy machine inflates it less than the wall
 * clock): opening the sealed secret and checking a wrong code against all three steps.
 */
async function codeCheckMicros(): Promise<string> {
  const master = 'a master secret that is long enough for the bench';
  const secret = newTotpSecret();
  const sealed = new SecretBox(master, 'totp secret of user 1').seal(secret);
  const wrong = (await generate({ secret })) === '000000' ? '111111' : '000000';
  const runs = 2000;
  const start = process.cpuUsage();
  for (let run = 0; run < runs; run += 1) {
    const opened = new SecretBox(master, 'totp secret of user 1').openText(sealed);
    await totpStep(opened, wrong, Date.now(), null);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / runs).toFixed(0);
}

await main();
