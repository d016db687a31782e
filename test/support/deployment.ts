import { afterAll, beforeAll } from '@jest/globals';
import { createTestEnvironment, startApp, type TestApp, type TestEnvironment } from './harness.js';
import type { SseClient } from './sse-client.js';

/** With PostgreSQL and Redis, a deployment runs two instances sharing them; on SQLite, one. */
export const SEVERAL_INSTANCES = Boolean(process.env.REDIS_URL && process.env.DATABASE_URL);

export interface Deployment {
  /** The instance requests go to. */
  a: TestApp;
  /** The other instance (streams are held there): `a` itself when the deployment runs one. */
  b: TestApp;
  /** Where the instances keep their data: usable like the apps, in tests and later hooks. */
  environment: TestEnvironment;
  /** Keeps a stream to close when the describe block ends. */
  track(stream: SseClient): SseClient;
  /** Closes the tracked streams and every instance, then starts them again on the same environment. */
  restart(): Promise<void>;
}

export interface DeploymentOptions {
  /** Configuration of every instance (or a function giving it, called when they start). */
  vars?: Record<string, string> | (() => Record<string, string>);
  /** `2` for two instances even on SQLite; by default two only with PostgreSQL and Redis. */
  instances?: 1 | 2;
  /** Starts the instances at the same moment (a race at start-up) instead of one after the other. */
  together?: boolean;
  /** Runs on the fresh environment before any instance starts: an operator's set-up with the CLI, say. */
  beforeStart?: (environment: TestEnvironment) => Promise<unknown>;
  /** The time the start may take, for a `beforeStart` that runs the CLI. */
  timeout?: number;
}

/**
 * One deployment of the service for the describe block it is called in: its `beforeAll` starts
 * the instances on one fresh environment (database, data directory, Redis prefix), its `afterAll`
 * closes the tracked streams, the instances and the environment. The returned apps are usable in
 * tests and in hooks declared after this call (a hook declared before it runs first: start a
 * dependency there and pass its address through `vars`).
 */
export function startDeployment(options: DeploymentOptions = {}): Deployment {
  const several = (options.instances ?? (SEVERAL_INSTANCES ? 2 : 1)) === 2;
  const started: { a?: TestApp; b?: TestApp; environment?: TestEnvironment } = {};
  const streams: SseClient[] = [];

  const startInstances = async (environment: TestEnvironment) => {
    if (!several) started.a = started.b = await startApp(environment);
    else if (options.together)
      [started.a, started.b] = await Promise.all([startApp(environment), startApp(environment)]);
    else {
      started.a = await startApp(environment);
      started.b = await startApp(environment);
    }
  };
  const closeInstances = async () => {
    streams.forEach((stream) => stream.close());
    await started.a?.close();
    await started.b?.close();
  };

  beforeAll(async () => {
    const vars = typeof options.vars === 'function' ? options.vars() : (options.vars ?? {});
    started.environment = await createTestEnvironment();
    // After the environment's own choices, so a test may also point at its own database or Redis.
    Object.assign(started.environment.vars, vars);
    await options.beforeStart?.(started.environment);
    await startInstances(started.environment);
  }, options.timeout);
  afterAll(async () => {
    await closeInstances();
    await started.environment?.dispose();
  });

  const a = late(() => started.a);
  return {
    a,
    b: several ? late(() => started.b) : a,
    environment: late(() => started.environment),
    track: (stream) => (streams.push(stream), stream),
    async restart() {
      await closeInstances();
      await startInstances(started.environment ?? notYet());
    },
  };
}

/** Stands for an app or environment made later, in `beforeAll` (the app anew after a restart). */
function late<T extends object>(get: () => T | undefined): T {
  return new Proxy({} as T, {
    get: (_target, property) => Reflect.get(get() ?? notYet(), property),
  });
}

function notYet(): never {
  throw new Error('the deployment starts in beforeAll: use it in tests and in hooks declared after it');
}
