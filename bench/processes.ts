import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LagReport, ProbeReply, ProbeRequest } from './lag-probe.js';

/** The compiled service, as `npm start` runs it. */
export const SERVICE_MAIN = resolve('dist/src/main.js');
/** Baseline and bench-only servers (bench/servers.ts). */
export const BENCH_SERVERS = resolve('dist/bench/servers.js');
/** What every hello server of bench/servers.ts answers. */
export const HELLO_PATH = '/api/v1/bench/hello';
const PROBE = pathToFileURL(resolve('dist/bench/lag-probe.js')).href;
const OUTPUT_TAIL = 64 * 1024;

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  /** Event-loop delay since the previous call (the first call covers the start-up). */
  lag(): Promise<LagReport>;
  /** Memory after a full garbage collection. */
  memory(): Promise<NodeJS.MemoryUsage>;
  /** Starts a CPU profile of the server; `stopProfile` writes it to `file`. */
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
  heapSnapshot(file: string): Promise<void>;
  /** Resident set size as the kernel counts it (/proc/<pid>/status VmRSS), in KB. */
  rssKb(): number;
  /** The last 64 KB the process wrote. */
  output(): string;
  stop(): Promise<void>;
}

/** A process's CPU time so far, in milliseconds (nanoseconds in schedstat). */
export interface ThreadsCpu {
  /** Every thread's. */
  all: number;
  /** The libuv pool's threads' (argon2's hashing, and little else in the service). */
  pool: number;
}

export function threadsCpuMs(pid: number): ThreadsCpu {
  const cpu = { all: 0, pool: 0 };
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ms = Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
      cpu.all += ms;
      if (readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').startsWith('libuv-worker')) cpu.pool += ms;
    } catch {
      // a thread that ended meanwhile
    }
  }
  return cpu;
}

/** The CPU time of every thread of a process so far, in milliseconds. */
export const cpuMs = (pid: number): number => threadsCpuMs(pid).all;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

export interface StartOptions {
  name: string;
  script: string;
  args?: string[];
  /** The whole environment of the server (PATH and NODE_ENV are added; PORT and HOST are set). */
  env: Record<string, string>;
  /** A path that answers once the server is ready. */
  readyPath: string;
}

/** Starts a server in its own process, with the lag probe preloaded, and waits until it answers. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', PROBE, options.script, ...(options.args ?? [])],
    {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        ...options.env,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  running.add(child);
  const output = new OutputTail();
  child.stdout?.on('data', output.keep);
  child.stderr?.on('data', output.keep);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      running.delete(child);
      done();
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  let nextId = 1;
  const pending = new Map<number, (reply: ProbeReply) => void>();
  child.on('message', (reply: ProbeReply) => pending.get(reply.id)?.(reply));
  const ask = (type: ProbeRequest['type'], file?: string) =>
    new Promise<ProbeReply>((done, fail) => {
      if (gone) return fail(new Error(`${options.name} has exited`));
      const id = nextId++;
      const timer = setTimeout(() => fail(new Error(`${options.name} did not answer the probe`)), 60_000);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        pending.delete(id);
        if (reply.error) fail(new Error(`${options.name}: ${reply.error}`));
        else done(reply);
      });
      child.send({ id, type, file } satisfies ProbeRequest);
    });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) throw new Error(`${options.name} exited during start-up:\n${output.text().slice(-4000)}`);
    const answer = await fetch(url + options.readyPath).catch(() => null);
    if (answer) {
      await answer.arrayBuffer();
      if (answer.ok) break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${options.name} did not answer ${options.readyPath} within 30 s:\n${output.text().slice(-4000)}`,
      );
    }
    await new Promise((done) => setTimeout(done, 50));
  }

  return {
    name: options.name,
    pid: child.pid as number,
    url,
    lag: async () => (await ask('lag')).lag as LagReport,
    memory: async () => (await ask('gc')).memory as NodeJS.MemoryUsage,
    startProfile: async () => void (await ask('profile-start')),
    stopProfile: async (file) => void (await ask('profile-stop', file)),
    heapSnapshot: async (file) => void (await ask('heap-snapshot', file)),
    rssKb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
    },
    output: () => output.text(),
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * The last OUTPUT_TAIL bytes a server wrote, kept as the chunks read and decoded only when asked.
 * This process also runs the load: at LOG_LEVEL=info a server writes a line a request, and
 * decoding and joining each chunk here took CPU from the two cores the server is measured on,
 * which an operator's log collector (a file, a pipe drained by another process) does not.
 */
class OutputTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  readonly keep = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0].length >= OUTPUT_TAIL) {
      this.bytes -= (this.chunks.shift() as Buffer).length;
    }
  };

  text(): string {
    return Buffer.concat(this.chunks).toString().slice(-OUTPUT_TAIL);
  }
}
