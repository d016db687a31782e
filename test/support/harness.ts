import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app.setup.js';
import { API_CONTRACTS } from '../../src/api-contracts.js';
import { buildApiDocument } from '../../src/common/openapi/document.js';
import { type AppConfig, loadConfig } from '../../src/config/app-config.js';
import { keepJwtSecret } from '../../src/config/kept-jwt-secret.js';
import { MailService } from '../../src/mail/mail.service.js';
import { linkIn, readMailFiles, type ReceivedMail } from './mails.js';
import { type Answer, ApiDocumentValidator, recordValidated } from './openapi-validator.js';
import { streamChecks } from './sse-client.js';
import { waitFor } from './wait.js';

/**
 * Where one test file's apps live: a fresh data directory, and on PostgreSQL a fresh schema, on
 * Redis a fresh key prefix. Several apps started with one environment share them (several
 * instances of one deployment).
 */
export interface TestEnvironment {
  vars: Record<string, string>;
  dataDir: string;
  schema: string | null;
  dispose(): Promise<void>;
}

const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-keys';

export async function createTestEnvironment(extra: Record<string, string> = {}): Promise<TestEnvironment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'unichat-test-'));
  const id = randomBytes(5).toString('hex');
  const vars: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MAIL_RETRY_BASE_MS: '200',
    PUBLIC_URL: 'http://127.0.0.1',
    APP_ROOT_URL: 'http://app.test/',
    // Every test registers from 127.0.0.1; the limit itself is tested in limits.e2e-spec.ts.
    REGISTRATIONS_PER_HOUR: '100000',
    ...extra,
  };
  let schema: string | null = null;
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    schema = `t_${id}`;
    await withPg(databaseUrl, (client) => client.query(`CREATE SCHEMA ${schema}`));
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    vars.DATABASE_URL = url.toString();
  }
  if (process.env.REDIS_URL) {
    vars.REDIS_URL = process.env.REDIS_URL;
    vars.REDIS_PREFIX = `test:${id}:`;
  }
  return {
    vars,
    dataDir,
    schema,
    async dispose() {
      if (schema && databaseUrl) {
        await withPg(databaseUrl, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port>: the app listens on a real port (SSE streams need one). */
  url: string;
  environment: TestEnvironment;
  http(): ReturnType<typeof request>;
  /** Checks an answer received by other means than `http()` against the API document (counted too). */
  checkAnswer(method: string, url: string, answer: Answer): string | null;
  mailDir: string;
  close(): Promise<void>;
}

/** The API document of the first app a test file starts: every answer of `http()` is checked against it. */
let validator: ApiDocumentValidator | null = null;
afterAll(() => {
  if (validator) recordValidated(validator.validated);
  if (streamChecks.problems.length > 0) {
    throw new Error(
      `OpenAPI: stream messages the document does not describe:\n${streamChecks.problems.join('\n')}`,
    );
  }
});

const VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/**
 * supertest, with each answer checked against the API document: a status, content type or body
 * field the document does not describe fails the request (and so the test).
 */
function validatedRequest(url: string, check: ApiDocumentValidator): ReturnType<typeof request> {
  const agent = request(url);
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !VERBS.has(property) || typeof value !== 'function') return value;
      return (path: string, ...rest: unknown[]) => {
        const test = (value as (...args: unknown[]) => request.Test).call(target, path, ...rest);
        const end = test.end.bind(test);
        test.end = (callback?: (error: unknown, response: request.Response) => void) =>
          end((error, response) => {
            const problem = response ? check.check(property, path, response) : null;
            callback?.(problem ? new Error(`OpenAPI: ${problem}`) : error, response);
          });
        return test;
      };
    },
  });
}

/** Starts the real application on a real port with a real database. */
export async function startApp(
  environment?: TestEnvironment,
  overrides: Record<string, string> = {},
): Promise<TestApp> {
  const env = environment ?? (await createTestEnvironment());
  const { config } = keepJwtSecret(loadConfig({ ...env.vars, ...overrides }));
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  validator ??= new ApiDocumentValidator(buildApiDocument(app, API_CONTRACTS));
  const check = validator;
  streamChecks.check ??= (path, message) => check.checkStreamMessage(path, message);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    app,
    config,
    url,
    environment: env,
    http: () => validatedRequest(url, check),
    checkAnswer: (method, answerUrl, answer) => check.check(method, answerUrl, answer),
    mailDir: join(config.dataDir, 'mail'),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (!environment) await env.dispose();
    },
  };
}

/** Runs the outbox now and returns the mails written so far (dev transport). */
export async function mails(t: TestApp): Promise<ReceivedMail[]> {
  await t.app.get(MailService).deliverDue();
  return readMailFiles(t.mailDir);
}

/** Waits for a mail to `to` whose subject matches, newer than the `after` first ones. */
export async function waitForMail(t: TestApp, to: string, subject: RegExp, after = 0): Promise<ReceivedMail> {
  return waitFor(async () => {
    const found = (await mails(t)).filter((mail) => mail.to === to && subject.test(mail.subject));
    return found.length > after ? found[found.length - 1] : undefined;
  }, `a mail "${subject}" to ${to}`);
}

let counter = 0;
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}.${Date.now().toString(36)}${counter}${randomBytes(2).toString('hex')}@example.com`;
}

export const PASSWORD = 'Correct-horse-42';

export interface TestUser {
  id: number;
  email: string;
  password: string;
  nick: string | null;
  accessToken: string;
  authToken: string;
  auth: { Authorization: string };
}

/** `GET /me` with the access token of a login answer, as the app that got it asks next. */
export function meWith(t: TestApp, accessToken: string) {
  return t.http().get('/api/v1/me').set('Authorization', `Bearer ${accessToken}`);
}

/** Registers a user through the API, confirms the address from the real mail, logs in. */
export async function createUser(
  t: TestApp,
  options: { confirmed?: boolean; nick?: string; email?: string; from?: string } = {},
): Promise<TestUser> {
  const email = options.email ?? uniqueEmail();
  // From another client address, for an app that trusts the loopback proxy (TRUST_PROXY).
  const from = options.from ? { 'X-Forwarded-For': options.from } : {};
  const register = await t
    .http()
    .post('/api/v1/auth/register')
    .set(from)
    .send({ email, password: PASSWORD, ...(options.nick ? { nick: options.nick } : {}) });
  if (register.status !== 201)
    throw new Error(`register failed: ${register.status} ${JSON.stringify(register.body)}`);
  if (options.confirmed !== false) {
    const mail = await waitForMail(t, email, /Confirm/);
    const link = new URL(linkIn(mail, '/auth/confirm'));
    const confirm = await t.http().get(link.pathname + link.search);
    if (!String(confirm.headers.location).includes('email_confirmed=1')) {
      throw new Error(`confirmation failed: ${confirm.headers.location}`);
    }
  }
  const login = await t.http().post('/api/v1/auth/login').set(from).send({ email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    id: login.body.user.id,
    email,
    password: PASSWORD,
    nick: options.nick ?? null,
    accessToken: login.body.access_token,
    authToken: login.body.auth_token ?? login.body.user.auth_token,
    auth: { Authorization: `Bearer ${login.body.access_token}` },
  };
}

/** Resets the user's password as the user would: asks for the mail, follows its link's token. */
export async function resetPasswordByMail(t: TestApp, user: TestUser, password: string): Promise<void> {
  await t.http().post('/api/v1/auth/password-reset/request').send({ email: user.email }).expect(200);
  const token = new URL(
    linkIn(await waitForMail(t, user.email, /Reset/), 'password_reset_token='),
  ).searchParams.get('password_reset_token');
  await t.http().post('/api/v1/auth/password-reset').send({ token, password }).expect(200);
}

/** Logs the user in once more: another session of theirs, with its own access token. */
export async function anotherSession(
  t: TestApp,
  user: TestUser,
): Promise<{ accessToken: string; auth: { Authorization: string } }> {
  const login = await t
    .http()
    .post('/api/v1/auth/login')
    .send({ email: user.email, password: user.password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    accessToken: login.body.access_token,
    auth: { Authorization: `Bearer ${login.body.access_token}` },
  };
}
