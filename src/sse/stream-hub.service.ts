import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { AppError } from '../common/errors.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { ClusterMessages, DeliveryBatch } from '../bus/cluster-messages.js';
import { type SseCodeOwner } from './sse-codes.service.js';
import {
  ReplayLog,
  replayAfter,
  type KeptEvents,
  type LoggedEvent,
  type NewEvent,
  type Replay,
} from './replay-log.service.js';
import { DeliveryReceipts } from './delivery-receipts.service.js';
import { Heartbeat } from './heartbeat.service.js';
import { sseMessage, SseStream } from './sse-stream.js';

/** Rewrites what a replay sends to `userId` by the rules in force now (the fan-out registers it). */
export type ReplayFilter = (userId: number, events: LoggedEvent[]) => Promise<LoggedEvent[]>;

/** Counts a user's open streams on all instances: presence, which turns them into online/offline. */
export interface StreamCounter {
  /** Counts one more stream of the user, or answers false when they hold `max` already. */
  streamOpened(userId: number, max: number): Promise<boolean>;
  streamClosed(userId: number): Promise<void>;
}

/** What a stream refused for being one too many is told: a place frees when another stream closes. */
const STREAM_RETRY_AFTER_SECONDS = 30;
/**
 * Users whose streams catch up together after the instance was out of sync: their log reads go to
 * Redis at once, and between two batches requests and bus messages get the event loop.
 */
const CATCH_UP_USERS_AT_ONCE = 50;

interface Connection {
  stream: SseStream;
  /** The session whose code opened the stream: ending the session closes the stream. */
  sessionId: number;
  /** The issue of the SSE code the stream was opened with: its revocation closes the stream. */
  nonce: string;
  /**
   * Live events held back while the stream's log is read (its starting id, a replay, a catch-up),
   * and from when the bus may have lost some of its events until it has caught up; sent right
   * after what the log gave.
   */
  pending: [number, string, string][] | null;
  /**
   * The last id a resumed stream's replay (or resync) covered: a live event at or below it was
   * sent by the replay already, or left out by it on purpose. Another instance's event can be in
   * the replay log (Redis) before its bus message reaches this instance; without this it went
   * out twice. 0 for a new stream.
   */
  replayedUpTo: number;
  /**
   * The highest id the stream sent, started at, or had a replay cover: a catch-up sends what the
   * log holds after it. The highest rather than the last: another instance's event may arrive
   * before an older one, and sending that older one again would repeat an id.
   */
  sentUpTo: number;
  /**
   * `bus.syncEpoch` when the stream's log was last read. While it is unchanged the bus lost none
   * of the stream's events; once it changed, live events are held until the stream caught up.
   */
  readAt: number;
  /** The stream's first log read and replay, until they are done: a catch-up waits for them. */
  starting: Promise<void> | null;
}

/** What a stream's replay or catch-up covered: the last id, and whether it is a floor for live events. */
interface Covered {
  upTo: number;
  floor: boolean;
}

/** One read of a user's log, for the streams of the user that are behind. */
interface Missed {
  /** What each stream gets: the events after its last id, or `resync`. */
  replays: Map<Connection, Replay>;
  /** The longest of those replays, as the replay filter lets the user see it now. */
  replayed: LoggedEvent[];
  /** The user's latest id, when a stream is told to resync. */
  lastId: number | null;
}

/**
 * The event streams of this instance, and delivery to them from any instance: an event is logged
 * once (id + replay buffer) where it is raised, then published once over ClusterBus; each instance
 * writes it to the streams it holds.
 */
@Injectable()
export class StreamHub implements OnModuleInit {
  private readonly logger = new Logger('StreamHub');
  private readonly connections = new Map<number, Set<Connection>>();
  private readonly bySession = new Map<number, Set<Connection>>();
  /**
   * Codes revoked within the last minute (by nonce). A stream whose code was read from the
   * database just before its revocation reached this instance is refused here instead of staying
   * open: the revocation found no stream of it to close.
   */
  private readonly revokedNonces = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
  /** What a replay may send a user now; the fan-out, which decides who hears what, registers it. */
  private replayFilter: ReplayFilter | null = null;
  /** Counts each user's streams on all instances; presence registers itself. */
  private counter: StreamCounter | null = null;

  constructor(
    private readonly log: ReplayLog,
    private readonly bus: ClusterBus,
    private readonly heartbeat: Heartbeat,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly metrics: Metrics,
    private readonly receipts: DeliveryReceipts,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.setSource('sseStreamsOpen', () => this.streamCount);
    this.metrics.setSource('presenceOnlineUsers', () => this.connections.size);
    await this.bus.subscribe('sse.deliver', (batch) => this.writeLocal(batch));
    await this.bus.subscribe('sse_code.revoked', (revoked) => this.closeRevoked(revoked));
    this.sessions.onEnded((ids) => this.closeSessions(ids));
    // Revocations may not reach this instance now: the sessions of its streams are read instead.
    this.bus.whileOutOfSync(() => this.sessions.checkEnded([...this.bySession.keys()]));
    // Events sent over the bus meanwhile are lost to this instance: its streams get them from the log.
    this.bus.onReconnect(() => this.catchUpAll());
  }

  /**
   * Without both registrations a replay would send what blocks hide, or streams would go
   * uncounted (no presence, no per-user limit): refuse to start instead.
   */
  onApplicationBootstrap(): void {
    if (!this.replayFilter) throw new Error('StreamHub: no replay filter registered (FanoutModule)');
    if (!this.counter) throw new Error('StreamHub: no stream counter registered (PresenceModule)');
  }

  /** The transport carries; who may see what in a replay is decided where events are made. */
  useReplayFilter(filter: ReplayFilter): void {
    this.replayFilter = filter;
  }

  useStreamCounter(counter: StreamCounter): void {
    this.counter = counter;
  }

  /** Sends events to users' streams on every instance; answers their ids, in order. */
  async deliver(events: NewEvent[]): Promise<number[]> {
    if (events.length === 0) return [];
    return this.log.publish(events);
  }

  /** Opens a stream of the user whose code was verified; replays what they missed after `lastEventId`. */
  async open(owner: SseCodeOwner, response: ServerResponse, lastEventId: number | null): Promise<void> {
    if (response.req.method === 'HEAD') {
      this.assertLive(owner);
      new SseStream(response); // headers only: no stream, no presence, no place taken
      return;
    }
    await this.admit(owner);
    await this.attach(owner, response, lastEventId);
  }

  /**
   * The checks before a stream: the code's session is live, and the user may open one more stream
   * (its place is taken here). Throws the error the client is answered with; takes no place then.
   */
  async admit(owner: SseCodeOwner): Promise<void> {
    this.assertLive(owner);
    await this.takePlace(owner.userId);
  }

  /**
   * The code was read from the database just before: its session may have ended since, or its
   * code been revoked, and the message found no stream of it to close.
   */
  private assertLive(owner: SseCodeOwner): void {
    if (this.revokedNonces.has(owner.nonce) || this.sessions.isRevoked(owner.sessionId))
      throw new AppError('unauthorized', 'unknown or revoked SSE code');
  }

  /** Starts the stream of an admitted owner on `response`: its place is taken already. */
  async attach(owner: SseCodeOwner, response: ServerResponse, lastEventId: number | null): Promise<void> {
    const { userId, sessionId } = owner;
    const stream = new SseStream(response);
    const connection: Connection = {
      stream,
      sessionId,
      nonce: owner.nonce,
      pending: [],
      replayedUpTo: 0,
      sentUpTo: lastEventId ?? 0,
      readAt: -1,
      starting: null,
    };
    const set = this.connections.get(userId) ?? new Set();
    set.add(connection);
    this.connections.set(userId, set);
    const ofSession = this.bySession.get(sessionId) ?? new Set();
    ofSession.add(connection);
    this.bySession.set(sessionId, ofSession);
    this.heartbeat.add(stream);
    stream.onClose(() => {
      set.delete(connection);
      if (set.size === 0 && this.connections.get(userId) === set) this.connections.delete(userId);
      ofSession.delete(connection);
      if (ofSession.size === 0 && this.bySession.get(sessionId) === ofSession)
        this.bySession.delete(sessionId);
      void this.counted()
        .streamClosed(userId)
        .catch((error: Error) => this.logger.warn(error.message));
    });
    if (stream.isClosed) return; // the client left while its place was being taken

    connection.starting =
      lastEventId === null
        ? this.bringUpToDate(
            [connection],
            () => this.log.lastId(userId),
            (started, last) => this.startAt(started, last),
          )
        : this.bringUpToDate(
            [connection],
            () => this.readMissed(userId, [connection]),
            (resumed, missed) => this.sendMissed(resumed, missed),
          );
    try {
      await connection.starting;
    } finally {
      connection.starting = null;
    }
  }

  /**
   * Brings streams up to date from the replay log while live events go on arriving: when a stream
   * starts or resumes, and when its instance is back in sync. Live events are held from before the
   * log is read until `send` has sent what the read gave, then follow, but for those it covered.
   * A read that fails leaves the streams holding them; the next catch-up reads again.
   */
  private async bringUpToDate<Read>(
    connections: Connection[],
    read: () => Promise<Read>,
    send: (connection: Connection, read: Read) => Covered,
  ): Promise<void> {
    const readAt = this.bus.syncEpoch;
    // What a stream holds already was logged before it was published: the read below has it.
    for (const connection of connections) connection.pending = [];
    const result = await read();
    for (const connection of connections) {
      const { upTo, floor } = send(connection, result);
      if (floor) connection.replayedUpTo = upTo;
      connection.sentUpTo = upTo;
      connection.readAt = readAt;
      const held = connection.pending ?? [];
      connection.pending = null;
      for (const [id, event, data] of held)
        if (id > upTo) this.sendLive(connection, id, sseMessage(event, data, id));
    }
  }

  /** A new stream starts at the latest id: if it drops before its first event, it still resumes. */
  private startAt(connection: Connection, last: number): Covered {
    connection.stream.setLastEventId(last);
    return { upTo: last, floor: false };
  }

  /** Reads the user's log once for streams of theirs, and applies the replay filter once. */
  private async readMissed(userId: number, connections: Connection[]): Promise<Missed> {
    const kept: KeptEvents = await this.log.read(userId);
    const replays = new Map(
      connections.map((connection) => [connection, replayAfter(kept, connection.sentUpTo)]),
    );
    // Every replay is a tail of the log: the longest holds the others.
    let longest: LoggedEvent[] | null = null;
    for (const replay of replays.values()) {
      if (replay !== 'resync' && replay.events.length >= (longest?.length ?? 0)) longest = replay.events;
    }
    const replayed = longest ? await (this.replayFilter as ReplayFilter)(userId, longest) : [];
    const resync = [...replays.values()].includes('resync');
    return { replays, replayed, lastId: resync ? await this.log.lastId(userId) : null };
  }

  /** Sends a stream what it missed after its last id, or `resync` when the log cannot serve it all. */
  private sendMissed(connection: Connection, missed: Missed): Covered {
    const replay = missed.replays.get(connection) ?? 'resync';
    if (replay === 'resync') {
      // With the latest id, so the next reconnect resumes from here instead of asking again.
      const last = missed.lastId as number;
      connection.stream.send('resync', '{}', last);
      this.metrics.sseResyncs.inc();
      return { upTo: last, floor: true };
    }
    const after = connection.sentUpTo;
    let sent = 0;
    for (const event of missed.replayed) {
      if (event.id <= after) continue;
      connection.stream.send(event.event, event.data, event.id);
      sent += 1;
    }
    this.metrics.sseReplays.inc();
    this.metrics.sseEventsDelivered.inc(sent);
    // The last id read, sent or not: a filtered-out event is not asked for again.
    return { upTo: replay.events.at(-1)?.id ?? after, floor: true };
  }

  /**
   * Back in sync: every stream held here gets from the log what the bus lost meanwhile, in place.
   * Closing them to have their clients resume would bring thousands of reconnects at once. One read
   * per user, a batch of users at a time. Throws when a log could not be read: the instance stays
   * out of sync, and the next heartbeat tries again for the streams still behind.
   */
  private async catchUpAll(): Promise<void> {
    const epoch = this.bus.syncEpoch;
    const users = [...this.connections.keys()];
    for (let from = 0; from < users.length; from += CATCH_UP_USERS_AT_ONCE) {
      if (from > 0) await nextTurn();
      // Out of sync again: every stream is behind again, and the next return catches them all up.
      if (this.bus.syncEpoch !== epoch) return;
      const batch = users.slice(from, from + CATCH_UP_USERS_AT_ONCE);
      const results = await Promise.allSettled(batch.map((userId) => this.catchUpUser(userId)));
      // A log that cannot be read now fails the rest too: tried again rather than waited out.
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /** The user's streams that may have missed events (read before the bus last lost sync) catch up. */
  private async catchUpUser(userId: number): Promise<void> {
    const ofUser = () => [...(this.connections.get(userId) ?? [])];
    // A stream still starting reads the log itself: its replay and this catch-up must not interleave.
    await Promise.allSettled(ofUser().map((connection) => connection.starting));
    const behind = ofUser().filter(
      (connection) =>
        connection.readAt !== this.bus.syncEpoch && !connection.starting && !connection.stream.isClosed,
    );
    if (behind.length === 0) return;
    await this.bringUpToDate(
      behind,
      () => this.readMissed(userId, behind),
      (connection, missed) => this.sendMissed(connection, missed),
    );
  }

  /**
   * Counts the stream in the user's streams on all instances (presence counts them), or answers
   * `429 please_wait` when they hold the most they may. Presence that cannot be reached (Redis
   * down) lets the stream open: refusing every stream would be worse than an uncounted one.
   */
  private async takePlace(userId: number): Promise<void> {
    const max = this.config.maxStreamsPerUser;
    const admitted = await this.counted()
      .streamOpened(userId, max)
      .catch((error: Error) => {
        this.logger.warn(error.message);
        return true;
      });
    if (!admitted) {
      throw new AppError(
        'please_wait',
        `at most ${max} event streams may be open at once; close one first, or try again in ${STREAM_RETRY_AFTER_SECONDS} s`,
        { retryAfter: STREAM_RETRY_AFTER_SECONDS },
      );
    }
  }

  private counted(): StreamCounter {
    if (!this.counter) throw new Error('StreamHub: no stream counter registered (PresenceModule)');
    return this.counter;
  }

  /** Number of streams this instance holds. */
  get streamCount(): number {
    let count = 0;
    for (const set of this.connections.values()) count += set.size;
    return count;
  }

  private writeLocal(batch: DeliveryBatch): void {
    const epoch = this.bus.syncEpoch;
    let written = 0;
    for (const [userId, id, index] of batch.items) {
      const set = this.connections.get(userId);
      if (!set) continue;
      const [event, data] = batch.payloads[index];
      const message = sseMessage(event, data, id);
      for (const connection of set) {
        // Being read, or the bus may have lost earlier events of it: held until it has caught up.
        if (connection.pending || connection.readAt !== epoch)
          (connection.pending ??= []).push([id, event, data]);
        else if (!this.sendLive(connection, id, message)) continue;
        written += 1;
      }
    }
    for (const n of batch.receipts ?? []) {
      const [userId, id] = batch.items[n];
      if (this.connections.get(userId)?.size)
        void this.receipts.mark(userId, id).catch((error: Error) => this.logger.warn(error.message));
    }
    if (written === 0) return;
    this.metrics.sseEventsDelivered.inc(written);
    if (batch.at !== undefined) this.metrics.sseFanoutSeconds.observe((Date.now() - batch.at) / 1000);
  }

  /** Writes a live event, unless the stream's replay sent it already (or left it out); false then. */
  private sendLive(connection: Connection, id: number, message: string): boolean {
    if (id <= connection.replayedUpTo) return false;
    connection.stream.write(message);
    if (id > connection.sentUpTo) connection.sentUpTo = id;
    return true;
  }

  private closeRevoked({ userId, nonce }: ClusterMessages['sse_code.revoked']): void {
    this.revokedNonces.set(nonce, true);
    for (const connection of [...(this.connections.get(userId) ?? [])]) {
      if (connection.nonce === nonce) connection.stream.close();
    }
  }

  /** Streams opened with the codes of sessions that ended (anywhere) close. */
  private closeSessions(sessionIds: number[]): void {
    for (const sessionId of sessionIds) {
      for (const connection of [...(this.bySession.get(sessionId) ?? [])]) connection.stream.close();
    }
  }
}
