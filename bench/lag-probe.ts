// Preloaded (`node --import`) into every server the bench starts, never into the service itself:
// answers the bench over the IPC channel with the event-loop delay histogram, the memory in use
// and CPU profiles of a window, and stops the server when the bench goes away, so no process
// outlives a run.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeRequest {
  id: number;
  /**
   * lag: the delay histogram since the last reset (then reset it); gc: collect, then report memory;
   * profile-start / profile-stop: a CPU profile of the window between, written to `file`;
   * heap-snapshot: a heap snapshot written to `file` (for looking into memory per stream).
   */
  type: 'lag' | 'gc' | 'profile-start' | 'profile-stop' | 'heap-snapshot';
  file?: string;
}

export interface LagReport {
  /** Milliseconds the loop was late, beyond the probe's own 10 ms period. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
  samples: number;
}

export interface ProbeReply {
  id: number;
  lag?: LagReport;
  memory?: NodeJS.MemoryUsage;
  error?: string;
}

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();
let inspector: Session | null = null;

// The histogram holds the time between the probe's timer callbacks, period included: an idle loop
// reads about 10 ms. What the period does not explain is lag.
const ms = (nanoseconds: number) => Math.max(0, Math.round((nanoseconds / 1e6 - RESOLUTION_MS) * 100) / 100);

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((done, fail) => {
    inspector?.post(method, params ?? {}, (error, result) => (error ? fail(error) : done(result)));
  });
}

async function answer(message: ProbeRequest): Promise<ProbeReply> {
  const reply: ProbeReply = { id: message.id };
  switch (message.type) {
    case 'lag':
      reply.lag = {
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        mean: ms(histogram.mean),
        samples: histogram.count,
      };
      histogram.reset();
      break;
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      reply.memory = process.memoryUsage();
      break;
    case 'heap-snapshot': {
      const session = new Session();
      session.connect();
      const chunks: string[] = [];
      session.on('HeapProfiler.addHeapSnapshotChunk', (message) => chunks.push(message.params.chunk));
      await new Promise((done, fail) =>
        session.post('HeapProfiler.takeHeapSnapshot', {}, (error) => (error ? fail(error) : done(null))),
      );
      session.disconnect();
      if (message.file) writeFileSync(message.file, chunks.join(''));
      break;
    }
    case 'profile-start':
      inspector = new Session();
      inspector.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      break;
    case 'profile-stop': {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      inspector?.disconnect();
      inspector = null;
      if (message.file) writeFileSync(message.file, JSON.stringify(profile));
      break;
    }
  }
  return reply;
}

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    answer(message)
      .catch((error: Error) => ({ id: message.id, error: error.message }))
      .then((reply) => process.send?.(reply));
  });
  process.once('disconnect', () => {
    // The bench ended or crashed: shut down as on SIGTERM, and for sure a little later.
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(0), 5000).unref();
  });
  // Listening re-references the channel on the next tick; the server alone decides when to exit.
  setImmediate(() => process.channel?.unref());
}
