import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Reconnection delay the browser is told once, at the start of a stream. */
export const SSE_RETRY_MS = 3000;
/**
 * Bytes a stream may have queued for a client that does not read. Beyond it the connection is
 * dropped rather than held in memory: the client reconnects and resumes with Last-Event-ID.
 */
export const SSE_MAX_QUEUED_BYTES = 1 << 20;
/**
 * Headers the global middleware (helmet) sets that only a rendered document obeys. An event stream
 * is never rendered, and Node keeps a response's headers for as long as it is open: ~1.5 KB a
 * stream, 15 MB at 10,000.
 */
const DOCUMENT_ONLY_HEADERS = [
  'Content-Security-Policy',
  'Cross-Origin-Opener-Policy',
  'Origin-Agent-Cluster',
  'Referrer-Policy',
  'X-DNS-Prefetch-Control',
  'X-Download-Options',
  'X-Frame-Options',
  'X-Permitted-Cross-Domain-Policies',
  'X-XSS-Protection',
];

/**
 * The id a client resumes from (`Last-Event-ID`, or `last_event_id` in the query): null for none.
 * An id as we write them (decimal digits, no leading zero), else one we never sent: treated like
 * one we no longer have, so the client is told to resync.
 */
export function parseLastEventId(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return null;
  return /^(?:0|[1-9]\d{0,15})$/.test(raw) && Number(raw) < Number.MAX_SAFE_INTEGER
    ? Number(raw)
    : Number.MAX_SAFE_INTEGER;
}

/**
 * A message as it goes on the wire: `id:`, `event:` and a one-line `data:` (already serialised
 * JSON). Ids are per user, so one string serves every stream of the user.
 */
export function sseMessage(event: string, data: string, id?: number | string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/**
 * Resolves true once `response` is the one its connection answers, false when the connection
 * closes first. HTTP/1.1 lets a client send requests one after the other on a connection without
 * waiting (pipelining): Node answers them in order, so a request behind an open stream waits for
 * ever. A stream exists only while its socket does and is seen by its client, so it starts only
 * at its turn: one queued behind another holds no stream place and counts nobody online, and on
 * some Node versions a queued response never hears that its connection closed.
 */
export function whenAnswering(response: ServerResponse): Promise<boolean> {
  if (response.socket) return Promise.resolve(!response.destroyed);
  const connection = response.req.socket;
  if (response.destroyed || connection.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (answering: boolean) => () => {
      response.off('socket', onTurn);
      response.off('close', onClose);
      connection.off('close', onClose);
      resolve(answering && !response.destroyed);
    };
    const onTurn = settle(true);
    const onClose = settle(false);
    response.once('socket', onTurn);
    response.once('close', onClose);
    connection.once('close', onClose);
  });
}

/**
 * One open `text/event-stream` response: writes the headers and `retry:` at once, then messages.
 * Used by the event gateway and QR login.
 */
export class SseStream {
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];
  /**
   * The connection, when this response is the one it is answering (not queued behind a pipelined
   * request). Messages are written to it in one piece, framed as an HTTP chunk here:
   * ServerResponse.write costs a three-part writev and a tick per message, a third of the CPU of a
   * fan-out to 10,000 streams. The headers, the first chunk and the last one still go through the
   * response, so Node decides the framing and ends it.
   */
  private readonly socket: Socket | null;
  private readonly chunked: boolean;

  constructor(private readonly response: ServerResponse) {
    for (const name of DOCUMENT_ONLY_HEADERS) response.removeHeader(name);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx: pass each message through at once instead of buffering the response.
      'X-Accel-Buffering': 'no',
    });
    if (response.req.method === 'HEAD') {
      // Headers only: Node sends no body to a HEAD, and would hold the headers until the end.
      this.socket = null;
      this.chunked = false;
      this.closed = true;
      response.end();
      return;
    }
    response.socket?.setNoDelay(true);
    response.socket?.setTimeout(0);
    response.write(`retry: ${SSE_RETRY_MS}\n\n`);
    this.socket = response.socket;
    this.chunked = response.chunkedEncoding;
    response.on('close', () => this.markClosed());
    // The client may have left before the stream started: no 'close' would come any more.
    if (response.destroyed) this.markClosed();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** `data` must already be one line of JSON (serialised once per event, not per stream). */
  send(event: string, data: string, id?: number | string): void {
    this.write(sseMessage(event, data, id));
  }

  /**
   * Sets the client's last event id without an event (an `id:` line alone: EventSource keeps the
   * id and dispatches nothing), so a stream that saw no event yet still resumes from here.
   */
  setLastEventId(id: number | string): void {
    this.write(`id: ${id}\n\n`);
  }

  /** Writes a message made by sseMessage, or a comment (`: text\n\n`). */
  write(message: string): void {
    if (this.closed) return;
    // Straight to the socket only once the response's own writes (headers, first chunk) left it:
    // Node corks the socket until the next tick and keeps them apart, so a direct write before
    // then would reach the client ahead of the status line.
    const socket = this.socket;
    if (!socket || socket.writableCorked > 0 || this.response.writableLength > 0)
      this.response.write(message);
    else if (this.chunked) socket.write(`${Buffer.byteLength(message).toString(16)}\r\n${message}\r\n`);
    else socket.write(message);
    if (Math.max(socket?.writableLength ?? 0, this.response.writableLength) > SSE_MAX_QUEUED_BYTES) {
      this.response.destroy();
      this.markClosed();
    }
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  close(): void {
    if (this.closed) return;
    this.response.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
