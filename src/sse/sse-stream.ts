import type { ServerResponse } from 'node:http';

/** Reconnection delay the browser is told once, at the start of a stream. */
export const SSE_RETRY_MS = 3000;
/**
 * Bytes a stream may have queued for a client that does not read. Beyond it the connection is
 * dropped rather than held in memory: the client reconnects and resumes with Last-Event-ID.
 */
export const SSE_MAX_QUEUED_BYTES = 1 << 20;

/**
 * One open `text/event-stream` response: writes the headers and `retry:` at once, then messages
 * framed as `id:`, `event:` and a one-line `data:`. Used by the event gateway and QR login.
 */
export class SseStream {
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx: pass each message through at once instead of buffering the response.
      'X-Accel-Buffering': 'no',
    });
    response.socket?.setNoDelay(true);
    response.socket?.setTimeout(0);
    response.write(`retry: ${SSE_RETRY_MS}\n\n`);
    response.on('close', () => this.markClosed());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** `data` must already be one line of JSON (serialised once per event, not per stream). */
  send(event: string, data: string, id?: number | string): void {
    if (this.closed) return;
    this.response.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`);
    this.dropIfStalled();
  }

  /**
   * Sets the client's last event id without an event (an `id:` line alone: EventSource keeps the
   * id and dispatches nothing), so a stream that saw no event yet still resumes from here.
   */
  setLastEventId(id: number | string): void {
    if (this.closed) return;
    this.response.write(`id: ${id}\n\n`);
  }

  comment(text: string): void {
    if (this.closed) return;
    this.response.write(`: ${text}\n\n`);
    this.dropIfStalled();
  }

  private dropIfStalled(): void {
    if (this.response.writableLength <= SSE_MAX_QUEUED_BYTES) return;
    this.response.destroy();
    this.markClosed();
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
