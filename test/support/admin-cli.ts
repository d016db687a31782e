import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestEnvironment } from './harness.js';

/** The compiled operator CLI, as `npm run admin --` runs it (`npm test` builds it first). */
export const ADMIN_CLI = resolve('dist/src/cli/admin.js');

/** For a test or hook that runs the CLI: each run boots its modules and runs the migrations, seconds on a busy machine. */
export const CLI_TEST_MS = 180_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `admin <args>` as a child process against the test environment's database. */
export function runAdmin(environment: TestEnvironment, args: string[]): Promise<CliResult> {
  if (!existsSync(ADMIN_CLI)) throw new Error(`${ADMIN_CLI} is missing: run npm run build`);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [ADMIN_CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...environment.vars }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A service key made the way an operator makes one: with the CLI, against the same database. */
export async function createServiceKey(
  environment: TestEnvironment,
  scopes: string,
  name = 'tests',
): Promise<string> {
  const result = await runAdmin(environment, ['service-keys', 'create', '--name', name, '--scopes', scopes]);
  const key = result.stdout.split('\n').find((line) => line.startsWith('usk_'));
  if (result.code !== 0 || !key) throw new Error(`service-keys create failed: ${result.stderr}`);
  return key;
}

/** A webhook endpoint made with the CLI, as an operator makes the first one; answers its `whsec_` secret. */
export async function createWebhookEndpoint(
  environment: TestEnvironment,
  url: string,
  events: string,
): Promise<string> {
  const result = await runAdmin(environment, ['webhooks', 'create', '--url', url, '--events', events]);
  const secret = result.stdout.split('\n').find((line) => line.startsWith('whsec_'));
  if (result.code !== 0 || !secret) throw new Error(`webhooks create failed: ${result.stderr}`);
  return secret;
}
