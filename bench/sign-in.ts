// The ways in (`npm run bench -- --only=sign-in`), on a service in its own process (SQLite): a
// password login without and with two-step login (its password step and its code step, or the
// code sent with the password in one request), and a passkey sign-in. Requests are weighed by the service's CPU time, which a busy machine distorts
// far less than the wall clock: all of it, and apart from argon2's (the libuv pool's threads, where
// the password hash runs), so the hash's own variation does not drown what a second step adds.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generate } from 'otplib';
import { SoftwareAuthenticator } from '../test/support/authenticator.js';
import { type BenchUser, call, createUsers, expectStatus, PASSWORD } from './api.js';
import { type BenchContext, serviceEnv, startService } from './context.js';
import { type ServerProcess, threadsCpuMs } from './processes.js';
import { failed, median, round2, row } from './report.js';

interface Sample {
  cpu: number;
  /** CPU apart from the libuv pool's threads: everything but the argon2 hash. */
  besideHash: number;
  wall: number;
}

/** Work done against the service, weighed by its CPU and the wall clock (per request when `per` > 1). */
async function weighed<T>(service: ServerProcess, work: () => Promise<T>, per = 1): Promise<[T, Sample]> {
  const before = threadsCpuMs(service.pid);
  const started = performance.now();
  const result = await work();
  const after = threadsCpuMs(service.pid);
  return [
    result,
    {
      wall: (performance.now() - started) / per,
      cpu: (after.all - before.all) / per,
      besideHash: (after.all - after.pool - (before.all - before.pool)) / per,
    },
  ];
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const describe = (samples: Sample[]) =>
  `${round2(median(samples.map((s) => s.cpu)))} ms CPU, ${round2(median(samples.map((s) => s.wall)))} ms wall`;

/** Logs `user` in with the password and the next step's app code (the set-up's own code is spent). */
async function twoStepLogin(
  base: string,
  user: BenchUser,
  secret: string,
  weigh: <T>(work: () => Promise<T>) => Promise<[T, Sample | null]>,
): Promise<{ passwordStep: Sample | null; codeStep: Sample | null }> {
  const [challenge, passwordStep] = await weigh(() =>
    expectStatus(
      call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: PASSWORD } }),
      401,
      'password step',
    ),
  );
  const mfaToken = (challenge.body.error as { mfa_token: string }).mfa_token;
  const code = await nextCode(secret);
  const [, codeStep] = await weigh(() =>
    expectStatus(
      call(base, 'POST', '/api/v1/auth/login/mfa', { body: { mfa_token: mfaToken, code } }),
      200,
      'code step',
    ),
  );
  return { passwordStep, codeStep };
}

/** The app's code of the next time step (the set-up spent the current one). */
const nextCode = (secret: string) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

/** Logs `user` in with the password and the next step's app code in one request (`code`). */
const oneRequestLogin = async (base: string, user: BenchUser, secret: string) =>
  expectStatus(
    call(base, 'POST', '/api/v1/auth/login', {
      body: { email: user.email, password: PASSWORD, code: await nextCode(secret) },
    }),
    200,
    'login with its code',
  );

const plainLogin = (base: string, user: BenchUser) =>
  expectStatus(
    call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: PASSWORD } }),
    200,
    'login',
  );

/**
 * Logins under load, as a service with many users sees them: batches of `BATCH` at once, plain,
 * two-step and one-request (password and code) in turn, each batch weighed by the service's CPU
 * per login. The first third of the
 * batches warm the code paths up and are not counted. Two-step users log in once each (an app
 * code is accepted once per 30 s step); the plain users log in again in every batch.
 */
const BATCH = 8;
async function loginsUnderLoad(
  service: ServerProcess,
  plain: BenchUser[],
  twoStep: BenchUser[],
  oneRequest: BenchUser[],
  secrets: Map<number, string>,
): Promise<{ plain: Sample[]; twoStep: Sample[]; oneRequest: Sample[] }> {
  const base = service.url;
  const samples = { plain: [] as Sample[], twoStep: [] as Sample[], oneRequest: [] as Sample[] };
  const batches = Math.floor(Math.min(twoStep.length, oneRequest.length) / BATCH);
  const untimed = async <T>(work: () => Promise<T>): Promise<[T, null]> => [await work(), null];
  const secret = (user: BenchUser) => secrets.get(user.id) as string;
  /** The login of each of a batch's users at once, weighed per login. */
  const batchOf = (users: BenchUser[], login: (user: BenchUser) => Promise<unknown>) =>
    weighed(service, () => Promise.all(users.map(login)), users.length).then(([, sample]) => sample);
  for (let batch = 0; batch < batches; batch += 1) {
    const users = (list: BenchUser[]) => list.slice(batch * BATCH, (batch + 1) * BATCH);
    const plainSample = await batchOf(plain.slice(0, BATCH), (user) => plainLogin(base, user));
    const twoStepSample = await batchOf(users(twoStep), (user) =>
      twoStepLogin(base, user, secret(user), untimed),
    );
    const oneRequestSample = await batchOf(users(oneRequest), (user) =>
      oneRequestLogin(base, user, secret(user)),
    );
    if (batch < batches / 3) continue;
    samples.plain.push(plainSample);
    samples.twoStep.push(twoStepSample);
    samples.oneRequest.push(oneRequestSample);
  }
  return samples;
}

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
  const loadUsers = (context.options.quick ? 6 : 12) * BATCH;
  const dataDir = join(context.root, 'sign-in');
  const env = serviceEnv(dataDir);
  let service: ServerProcess | null = null;
  try {
    service = await startService('sign-in', env);
    const base = service.url;
    const plain = await createUsers(base, join(dataDir, 'mail'), rounds, 'plain');
    const twoStep = await createUsers(base, join(dataDir, 'mail'), rounds + 2 * loadUsers, 'totp');
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

    // Under load first: it also warms every path up for the requests one at a time.
    const load = await loginsUnderLoad(
      service,
      plain,
      twoStep.slice(rounds, rounds + loadUsers),
      twoStep.slice(rounds + loadUsers),
      secrets,
    );

    const password: Sample[] = [];
    const passwordStep: Sample[] = [];
    const codeStep: Sample[] = [];
    const passkey: Sample[] = [];
    const server = service;
    const weigh = <T>(work: () => Promise<T>) => weighed(server, work);
    for (let round = 0; round < rounds; round += 1) {
      const [, plainSample] = await weigh(() => plainLogin(base, plain[round]));
      password.push(plainSample);
      const user = twoStep[round];
      const steps = await twoStepLogin(base, user, secrets.get(user.id) as string, weigh);
      passwordStep.push(steps.passwordStep as Sample);
      codeStep.push(steps.codeStep as Sample);
      // A passkey sign-in: its options, then the signed answer (both counted).
      const [signIn, optionsSample] = await weigh(() => call(base, 'POST', '/api/v1/auth/passkey/options'));
      const { challenge_id: challengeId, options: requestOptions } = signIn.body as {
        challenge_id: string;
        options: { challenge: string; rpId: string };
      };
      const answer = authenticator.get(requestOptions, credential.id);
      const [, signInSample] = await weigh(() =>
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
        besideHash: optionsSample.besideHash + signInSample.besideHash,
        wall: optionsSample.wall + signInSample.wall,
      });
    }
    // Per round, what the two steps together cost beyond a plain login in the same round.
    const oneAtATime = median(
      passwordStep.map(
        (step, index) => step.besideHash + codeStep[index].besideHash - password[index].besideHash,
      ),
    );
    const beside = (samples: Sample[]) => mean(samples.map((sample) => sample.besideHash));
    const hashed = (samples: Sample[]) => mean(samples.map((sample) => sample.cpu - sample.besideHash));
    const plainBeside = beside(load.plain);
    const extra = beside(load.twoStep) - plainBeside;
    const oneRequestExtra = beside(load.oneRequest) - plainBeside;
    const hashes = {
      plain: hashed(load.plain),
      twoStep: hashed(load.twoStep),
      oneRequest: hashed(load.oneRequest),
    };
    // One argon2 check: a login with a second factor hashes what a plain login does (within 15 %).
    const oneHash = (hash: number) => hash < hashes.plain * 1.15;
    /** What a login with a second factor costs beyond a plain one under load, and its verdict. */
    const beyondPlain = (extra: number, samples: Sample[], hash: number) => ({
      result:
        `${round2(extra)} ms more than a plain login beside the argon2 check ` +
        `(${round2(beside(samples))} vs ${round2(plainBeside)} ms a login, ${BATCH} at once, ` +
        `${samples.length} batches each); argon2 ${round2(hash)} vs ${round2(hashes.plain)} ms ` +
        `a login (one check each)`,
      verdict: extra < 1 && oneHash(hash) ? ('pass' as const) : ('FAIL' as const),
    });
    const twoRequests = beyondPlain(extra, load.twoStep, hashes.twoStep);
    const inOne = beyondPlain(oneRequestExtra, load.oneRequest, hashes.oneRequest);
    context.rows.push(
      row(
        'sign-in-totp',
        'password login with two-step login (service CPU beyond a plain login, under load)',
        `${twoRequests.result}; one at a time: ${round2(oneAtATime)} ms more (password step ` +
          `${describe(passwordStep)}; code step ${describe(codeStep)}; plain login ${describe(password)}; ` +
          `medians of ${rounds})`,
        '< 1 ms beyond one argon2 check',
        twoRequests.verdict,
        { rounds, load, password, passwordStep, codeStep },
      ),
      row(
        'sign-in-totp-one-request',
        'password login with its two-step code in the same request (service CPU beyond a plain login, under load)',
        inOne.result,
        '< 1 ms beyond one argon2 check',
        inOne.verdict,
        { load: load.oneRequest },
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
