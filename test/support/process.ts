import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { waitFor } from './wait.js';

/** The compiled service, as `npm start` runs it (`npm test` builds it first). */
export const MAIN = resolve('dist/src/main.js');

/**
 * How long a start may take. It waits for the process to answer (or to exit), so a fast machine
 * never waits this long; a busy 2-core machine loaded the compiled service in ~20 s.
 */
export const STARTUP_MS = 120_000;

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** The exit code, or the signal that ended the process. */
  exited: Promise<number | string | null>;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

/** Starts `node dist/src/main.js` with exactly these variables (plus PATH) and waits until it answers. */
export async function startServiceProcess(vars: Record<string, string>): Promise<ServiceProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does it first)`);
  const port = vars.PORT && vars.PORT !== '0' ? Number(vars.PORT) : await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...vars, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((done) =>
    // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes.
    child.once('close', (code, signal) => done(code ?? signal)),
  );
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    async () => {
      if (gone) throw new Error(`the service exited: ${output}`);
      return (await fetch(`${url}/health`).catch(() => null))?.ok;
    },
    'the service process to answer /health',
    STARTUP_MS,
  ).catch((error: unknown) => {
    // Not left running behind a failed test (it would keep jest from exiting).
    child.kill('SIGKILL');
    throw error;
  });
  return { child, url, output: () => output, exited };
}

/**
 * Starts `node dist/src/main.js` with these variables (plus PATH) for a start that must be
 * refused: its exit and output. A start that is not refused is killed as soon as it answers.
 */
export async function runServiceToExit(
  vars: Record<string, string>,
): Promise<{ code: number | string | null; stdout: string; stderr: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does it first)`);
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...vars, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let gone = false;
  const exited = new Promise<number | string | null>((done) =>
    child.once('close', (code, signal) => {
      gone = true;
      done(code ?? signal);
    }),
  );
  const deadline = Date.now() + STARTUP_MS;
  while (!gone) {
    const answered = (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok;
    if (answered || Date.now() > deadline) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { code: await exited, stdout, stderr };
}

/**
 * Waits for what a service process does on its own time (a mail written by its outbox, a log
 * line). The process competes with the other test files for the machine, so it gets the time a
 * busy machine needs; a failure carries what the service logged meanwhile.
 */
export async function waitForService<T>(
  service: ServiceProcess,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  return waitFor(probe, what, timeoutMs).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; the service logged:\n${service.output().slice(-4000)}`);
  });
}
