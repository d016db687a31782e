import type { ServerResponse } from 'node:http';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { Clock } from '../common/clock.service.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { Heartbeat } from '../sse/heartbeat.service.js';
import { SseStream } from '../sse/sse-stream.js';
import { QrLoginService } from './qr-login.service.js';

interface Waiter {
  id: string;
  browser: ClientInfo;
  stream: SseStream;
  timer: NodeJS.Timeout | null;
  settling: boolean;
  /** An approval was announced while the code was being looked at: look again after. */
  again: boolean;
}

/** The expiry check runs this long after the expiry, so an approval committed at the last moment still counts. */
const EXPIRY_SLACK_MS = 250;

/**
 * The browsers' QR streams held by this instance. An approval on any instance is announced over
 * ClusterBus; each instance then settles the streams it holds for that code (the database decides
 * which one gets the session).
 */
@Injectable()
export class QrLoginStreams implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('QrLogin');
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    private readonly qr: QrLoginService,
    private readonly bus: ClusterBus,
    private readonly heartbeat: Heartbeat,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('qr_login.approved', ({ id }) => {
      for (const waiter of this.waiters.get(id) ?? []) void this.settle(waiter);
    });
    // An approval announced while the subscriber was reconnecting would be missed: look again.
    this.bus.onReconnect(() => {
      for (const set of this.waiters.values()) for (const waiter of set) void this.settle(waiter);
    });
  }

  /** Opens the stream of a code whose key was checked; it ends with `qr_login` or `qr_expired`. */
  async open(id: string, browser: ClientInfo, response: ServerResponse): Promise<void> {
    const waiter: Waiter = {
      id,
      browser,
      stream: new SseStream(response),
      timer: null,
      settling: false,
      again: false,
    };
    if (waiter.stream.isClosed) return; // a HEAD: headers only, never the login
    this.heartbeat.add(waiter.stream);
    // Listen before looking, so an approval in between is not missed.
    const set = this.waiters.get(id) ?? new Set();
    set.add(waiter);
    this.waiters.set(id, set);
    waiter.stream.onClose(() => this.forget(waiter));
    await this.settle(waiter);
  }

  private async settle(waiter: Waiter): Promise<void> {
    if (waiter.stream.isClosed) return;
    if (waiter.settling) {
      waiter.again = true;
      return;
    }
    waiter.settling = true;
    waiter.again = false;
    try {
      const outcome = await this.qr.outcome(waiter.id, waiter.browser);
      if (outcome.kind === 'login') {
        waiter.stream.send('qr_login', JSON.stringify(outcome.login));
        waiter.stream.close();
      } else if (outcome.kind === 'expired') {
        waiter.stream.send('qr_expired', JSON.stringify({ id: waiter.id, reason: outcome.reason }));
        waiter.stream.close();
      } else {
        if (waiter.timer) clearTimeout(waiter.timer);
        const delay = outcome.expiresAt.getTime() - this.clock.nowMs() + EXPIRY_SLACK_MS;
        waiter.timer = setTimeout(() => void this.settle(waiter), Math.max(delay, 0)).unref();
      }
    } catch (error) {
      this.logger.error({ err: error }, `could not settle QR login ${waiter.id}`);
      // The browser's EventSource reconnects and asks again.
      waiter.stream.close();
    } finally {
      waiter.settling = false;
    }
    if (waiter.again) await this.settle(waiter);
  }

  private forget(waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    const set = this.waiters.get(waiter.id);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(waiter.id);
  }

  onApplicationShutdown(): void {
    for (const set of this.waiters.values()) for (const waiter of set) waiter.stream.close();
  }
}
