// The ways in (`npm run bench -- --only=sign-in`), one request at a time on an idle service in its
// own process (SQLite): a password login without and with two-step login (its password step and
// its code step), and a passkey sign-in. Each request is weighed by the service's CPU time (every
// thread, argon2's included), which a busy machine distorts far less than the wall clock.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generate } from 'otplib';
import { SoftwareAuthenticator } from '../test/support/authenticator.js';
import { type Answer, type BenchUser, call, createUsers, expectStatus, PASSWORD } from './api.js';
import { type BenchContext, serviceEnv, startService } from './context.js';
import type { ServerProcess } from './processes.js';
import { failed, round2, row } from './report.js';

/** The CPU time of every thread of a process so far, in milliseconds (nanoseconds in schedstat). */
function cpuMs(pid: number): number {
  let nanoseconds = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return nanoseconds / 1e6;
}

interface Sample {
  cpu: number;
  wall: number;
}

/** One request, weighed by the service's CPU and the wall clock. */
async function weighed(service: ServerProcess, request: () => Promise<Answer>): Promise<[Answer, Sample]> {
  const cpu = cpuMs(service.pid);
  const started = performance.now();
  const answer = await request();
  return [answer, { wall: performance.now() - started, cpu: cpuMs(service.pid) - cpu }];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const describe = (samples: Sample[]) =>
  `${round2(median(samples.map((s) => s.cpu)))} ms CPU, ${round2(median(samples.map((s) => s.wall)))} ms wall`;

/** Turns two-step login on for each user; answers the secrets by user id. */
async function turnOnTotp(base: string, users: BenchUser[]): Promise<Map<number, string>> {
  const secrets = new Map<number, string>();
  for (const user of users) {
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
  return secrets;
}

export async function measureSignIn(context: BenchContext): Promise<void> {
  // Each two-step user logs in once: a code is accepted once per 30 s step.
  const rounds = context.options.quick ? 20 : 40;
  const dataDir = join(context.root, 'sign-in');
  const env = serviceEnv(dataDir);
  let service: ServerProcess | null = null;
  try {
    service = await startService('sign-in', env);
    const base = service.url;
    const plain = await createUsers(base, join(dataDir, 'mail'), rounds, 'plain');
    const twoStep = await createUsers(base, join(dataDir, 'mail'), rounds, 'totp');
    const secrets = await turnOnTotp(base, twoStep);
    // The relying party's origin is PUBLIC_URL's (the browser's page), not the port it listens on.
    const authenticator = new SoftwareAuthenticator(new URL(env.PUBLIC_URL).origin);
    const owner = plain[0];
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

    const password: Sample[] = [];
    const passwordStep: Sample[] = [];
    const codeStep: Sample[] = [];
    const passkey: Sample[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [, plainLogin] = await weighed(service, () =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/login', {
            body: { email: plain[round].email, password: PASSWORD },
          }),
          200,
          'login',
        ),
      );
      password.push(plainLogin);
      const user = twoStep[round];
      const [challenge, step] = await weighed(service, () =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: PASSWORD } }),
          401,
          'password step',
        ),
      );
      passwordStep.push(step);
      const mfaToken = (challenge.body.error as { mfa_token: string }).mfa_token;
      // The code of the next 30 s step: the one that confirmed the app is spent.
      const code = await generate({
        secret: secrets.get(user.id) as string,
        epoch: Math.floor(Date.now() / 1000) + 30,
      });
      const [, codeSample] = await weighed(service, () =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/login/mfa', { body: { mfa_token: mfaToken, code } }),
          200,
          'code step',
        ),
      );
      codeStep.push(codeSample);
      // A passkey sign-in: its options, then the signed answer (both counted).
      const [signIn, optionsSample] = await weighed(service, () =>
        call(base, 'POST', '/api/v1/auth/passkey/options'),
      );
      const { challenge_id: challengeId, options: requestOptions } = signIn.body as {
        challenge_id: string;
        options: { challenge: string; rpId: string };
      };
      const answer = authenticator.get(requestOptions, credential.id);
      const [, signInSample] = await weighed(service, () =>
        expectStatus(
          call(base, 'POST', '/api/v1/auth/passkey', {
            body: { challenge_id: challengeId, response: answer },
          }),
          200,
          'passkey sign-in',
        ),
      );
      passkey.push({
        cpu: optionsSample.cpu + signInSample.cpu,
        wall: optionsSample.wall + signInSample.wall,
      });
    }
    // Per round, what the two steps together cost beyond a plain login in the same round.
    const extra = median(
      passwordStep.map((step, index) => step.cpu + codeStep[index].cpu - password[index].cpu),
    );
    context.rows.push(
      row(
        'sign-in-totp',
        'password login with two-step login (service CPU, both steps)',
        `${round2(extra)} ms more than a plain login (password step ${describe(passwordStep)}; code step ` +
          `${describe(codeStep)}; plain login ${describe(password)}; medians of ${rounds})`,
        '< 1 ms beyond one argon2 check',
        extra < 1 ? 'pass' : 'FAIL',
        { rounds, password, passwordStep, codeStep },
      ),
      row(
        'sign-in-passkey',
        'passkey sign-in (options + signed answer)',
        `${describe(passkey)} (median of ${rounds})`,
        'report',
        'report',
        { rounds, passkey },
      ),
    );
  } catch (error) {
    context.rows.push(failed('sign-in-totp', 'sign-in', '', error));
  } finally {
    await service?.stop();
  }
}
