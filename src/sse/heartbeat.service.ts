import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { SseStream } from './sse-stream.js';

const KEEP_ALIVE = ': keep-alive\n\n';
/**
 * Streams written per turn of the event loop. A socket write costs ~10 µs on a small VM: a beat to
 * 10,000 streams in one go would hold every request behind it for ~100 ms.
 */
const BEAT_SLICE = 500;

/**
 * One timer for every open stream of this instance: a comment line every SSE_HEARTBEAT_SECONDS
 * keeps proxies from closing idle streams (one timer, not one per stream).
 */
@Injectable()
export class Heartbeat implements BeforeApplicationShutdown {
  private readonly streams = new Set<SseStream>();
  private timer: NodeJS.Timeout | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  add(stream: SseStream): void {
    this.streams.add(stream);
    stream.onClose(() => this.streams.delete(stream));
    this.timer ??= setInterval(() => this.beat(), this.config.sseHeartbeatSeconds * 1000).unref();
  }

  private beat(): void {
    const streams = [...this.streams];
    const slice = (from: number) => {
      const to = Math.min(from + BEAT_SLICE, streams.length);
      for (let index = from; index < to; index += 1) streams[index].write(KEEP_ALIVE);
      if (to < streams.length) setImmediate(slice, to);
    };
    slice(0);
  }

  /** Before the HTTP server closes: it waits for every open response, and a stream never ends by itself. */
  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    for (const stream of this.streams) stream.close();
  }
}
