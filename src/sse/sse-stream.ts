import type { ServerResponse } from 'node:http';

/** Reconnection delay the browser is told once, at the start of a stream. */
export const SSE_RETRY_MS = 3000;

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
  }

  comment(text: string): void {
    if (!this.closed) this.response.write(`: ${text}\n\n`);
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
