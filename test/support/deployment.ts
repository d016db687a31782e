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
  environment: TestEnvironment;
  /** Keeps a stream to close when the describe block ends. */
  track(stream: SseClient): SseClient;
}

export interface DeploymentOptions {
  /** Configuration of every instance (or a function giving it, called when they start). */
  vars?: Record<string, string> | (() => Record<string, string>);
  /** `2` for two instances even on SQLite; by default two only with PostgreSQL and Redis. */
  instances?: 1 | 2;
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

  beforeAll(async () => {
    const vars = typeof options.vars === 'function' ? options.vars() : (options.vars ?? {});
    started.environment = await createTestEnvironment();
    // After the environment's own choices, so a test may also point at its own database or Redis.
    Object.assign(started.environment.vars, vars);
    started.a = await startApp(started.environment);
    started.b = several ? await startApp(started.environment) : started.a;
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await started.a?.close();
    await started.b?.close();
    await started.environment?.dispose();
  });

  const a = lateApp(() => started.a);
  return {
    a,
    b: several ? lateApp(() => started.b) : a,
    get environment() {
      return started.environment ?? notYet();
    },
    track: (stream) => (streams.push(stream), stream),
  };
}

/** Stands for an app started later, in `beforeAll`. */
function lateApp(get: () => TestApp | undefined): TestApp {
  return new Proxy({} as TestApp, {
    get: (_target, property) => Reflect.get(get() ?? notYet(), property),
  });
}

function notYet(): never {
  throw new Error('the deployment starts in beforeAll: use it in tests and in hooks declared after it');
}
