import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { SseStream } from './sse-stream.js';

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

  /** Streams of this instance, for shutdown. */
  all(): SseStream[] {
    return [...this.streams];
  }

  private beat(): void {
    for (const stream of this.streams) stream.comment('keep-alive');
  }

  /** Before the HTTP server closes: it waits for every open response, and a stream never ends by itself. */
  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    for (const stream of this.streams) stream.close();
  }
}
