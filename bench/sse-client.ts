import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  name: string;
  data: string;
  id: string | null;
}

/** Called with the time (performance.now()) at which the bytes carrying the event arrived. */
export type EventHandler = (event: SseEvent, receivedAt: number, stream: SseStream) => void;

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One event stream on its own socket, with the least per-stream state that can be had: raw
 * HTTP/1.1, a chunked-encoding decoder and an SSE parser, so that one process can hold ten
 * thousand streams and still time every delivery.
 */
export class SseStream {
  events = 0;
  heartbeats = 0;
  closed = false;
  /** Free for the caller: which user holds the stream, say. */
  tag = 0;
  private head: Buffer | null = Buffer.alloc(0);
  private chunked = false;
  /** Bytes left in the current chunk; -1 while reading a chunk-size line, -2 before a chunk's CRLF. */
  private chunkLeft = -1;
  private pending: Buffer | null = null;
  private text = '';
  private readonly decoder = new StringDecoder('utf8');

  private constructor(
    private readonly socket: Socket,
    private readonly onEvent: EventHandler,
    private readonly opened: (error: Error | null) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (error) => this.end(error));
    socket.on('close', () => this.end(new Error('the stream closed before it opened')));
  }

  /** Opens `GET url` as an event stream; resolves once the server answered 200 with its headers. */
  static open(url: URL, onEvent: EventHandler, tag = 0, timeoutMs = 15_000): Promise<SseStream> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer from ${url.pathname} within ${timeoutMs} ms`));
      }, timeoutMs);
      const stream: SseStream = new SseStream(socket, onEvent, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(stream);
      });
      stream.tag = tag;
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
          'Cache-Control: no-cache\r\nUser-Agent: unichat-bench\r\n\r\n',
      );
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private end(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.opened(error);
  }

  private receive(data: Buffer): void {
    const at = performance.now();
    if (this.head) {
      const all = Buffer.concat([this.head, data]);
      const end = all.indexOf(HEAD_END);
      if (end < 0) {
        this.head = all;
        return;
      }
      const head = all.subarray(0, end).toString('latin1');
      this.head = null;
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      if (status !== 200) {
        const body = all.subarray(end + 4, end + 300).toString();
        this.socket.destroy();
        this.opened(new Error(`the stream answered ${status}: ${body}`));
        this.closed = true;
        return;
      }
      this.chunked = /^transfer-encoding:\s*chunked/im.test(head);
      this.opened(null);
      data = all.subarray(end + 4);
      if (data.length === 0) return;
    }
    if (this.chunked) this.dechunk(data, at);
    else this.parse(this.decoder.write(data), at);
  }

  private dechunk(data: Buffer, at: number): void {
    let input = this.pending ? Buffer.concat([this.pending, data]) : data;
    this.pending = null;
    while (input.length > 0) {
      if (this.chunkLeft === -1) {
        const lineEnd = input.indexOf('\r\n');
        if (lineEnd < 0) {
          this.pending = input;
          return;
        }
        const size = parseInt(input.subarray(0, lineEnd).toString('latin1'), 16);
        input = input.subarray(lineEnd + 2);
        if (size === 0) {
          this.socket.destroy();
          return;
        }
        this.chunkLeft = size;
      } else if (this.chunkLeft === -2) {
        if (input.length < 2) {
          this.pending = input;
          return;
        }
        input = input.subarray(2);
        this.chunkLeft = -1;
      } else {
        const take = Math.min(this.chunkLeft, input.length);
        this.parse(this.decoder.write(input.subarray(0, take)), at);
        input = input.subarray(take);
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
      }
    }
  }

  private parse(text: string, at: number): void {
    this.text += text;
    let end = this.text.indexOf('\n\n');
    while (end >= 0) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      this.message(block, at);
      end = this.text.indexOf('\n\n');
    }
  }

  private message(block: string, at: number): void {
    let name = 'message';
    let id: string | null = null;
    let data: string | null = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('data:'))
        data = (data === null ? '' : data + '\n') + line.slice(line[5] === ' ' ? 6 : 5);
      else if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('id:')) id = line.slice(3).trim();
    }
    if (data === null) {
      if (block.startsWith(':')) this.heartbeats += 1;
      return;
    }
    this.events += 1;
    this.onEvent({ name, data, id }, at, this);
  }
}
