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
const LF = 0x0a;
/**
 * Every stream reads into this one buffer (net's `onread`): no buffer is allocated per read, and
 * a read is parsed before the next one can overwrite it, as handlers run synchronously.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);
/** `chunkLeft` while reading a chunk-size line, and while skipping the CRLF after a chunk's data. */
const SIZE_LINE = -1;
const AFTER_DATA = -2;

/**
 * One event stream on its own socket, with the least per-stream state and work per read that can
 * be had: raw HTTP/1.1, a chunked-encoding decoder and an SSE parser, so that one process can hold
 * ten thousand streams and still time every delivery while sharing two cores with the server.
 */
export class SseStream {
  events = 0;
  heartbeats = 0;
  closed = false;
  /** Free for the caller: which user holds the stream, say. */
  tag = 0;
  /** The response head read so far; null once it was read. */
  private head: Buffer | null = Buffer.alloc(0);
  private chunked = false;
  private chunkLeft = SIZE_LINE;
  /** The chunk size read so far on a size line, and whether its hex digits ended (an extension, the CR). */
  private size = 0;
  private sizeRead = false;
  private text = '';
  private readonly decoder = new StringDecoder('utf8');

  private constructor(
    private readonly socket: Socket,
    private readonly onEvent: EventHandler,
    private readonly opened: (error: Error | null) => void,
  ) {
    socket.on('error', (error) => this.end(error));
    socket.on('close', () => this.end(new Error('the stream closed before it opened')));
  }

  /** Opens `GET url` as an event stream; resolves once the server answered 200 with its headers. */
  static open(
    url: URL,
    onEvent: EventHandler,
    tag = 0,
    timeoutMs = 15_000,
    localAddress?: string,
  ): Promise<SseStream> {
    return new Promise((resolve, reject) => {
      let stream: SseStream | null = null;
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        localAddress,
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (length) => {
            stream?.receive(length);
            return true;
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer from ${url.pathname} within ${timeoutMs} ms`));
      }, timeoutMs);
      stream = new SseStream(socket, onEvent, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else if (stream) resolve(stream);
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

  private receive(length: number): void {
    const at = performance.now();
    let from = 0;
    if (this.head) {
      from = this.readHead(length);
      if (from < 0) return;
    }
    if (this.chunked) this.dechunk(from, length, at);
    else if (from < length) this.parse(this.decoder.write(READ_BUFFER.subarray(from, length)), at);
  }

  /** Where the body starts in READ_BUFFER, or -1 while the head is incomplete or was refused. */
  private readHead(length: number): number {
    const head = this.head as Buffer;
    const all = Buffer.concat([head, READ_BUFFER.subarray(0, length)]);
    const end = all.indexOf(HEAD_END);
    if (end < 0) {
      this.head = all;
      return -1;
    }
    const text = all.subarray(0, end).toString('latin1');
    this.head = null;
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]);
    if (status !== 200) {
      const body = all.subarray(end + 4, end + 300).toString();
      this.socket.destroy();
      this.closed = true;
      this.opened(new Error(`the stream answered ${status}: ${body}`));
      return -1;
    }
    this.chunked = /^transfer-encoding:\s*chunked/im.test(text);
    this.opened(null);
    return end + 4 - head.length;
  }

  /** Walks the chunk framing byte by byte and hands each run of data bytes to the parser at once. */
  private dechunk(from: number, to: number, at: number): void {
    let index = from;
    while (index < to) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, to - index);
        this.parse(this.decoder.write(READ_BUFFER.subarray(index, index + take)), at);
        index += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkLeft = AFTER_DATA;
        continue;
      }
      const byte = READ_BUFFER[index++];
      if (this.chunkLeft === AFTER_DATA) {
        if (byte === LF) this.chunkLeft = SIZE_LINE;
      } else if (byte === LF) {
        if (this.size === 0) {
          // The last chunk: the server ended the response.
          this.socket.destroy();
          return;
        }
        this.chunkLeft = this.size;
        this.size = 0;
        this.sizeRead = false;
      } else if (!this.sizeRead) {
        const digit = hexDigit(byte);
        if (digit < 0) this.sizeRead = true;
        else this.size = this.size * 16 + digit;
      }
    }
  }

  private parse(text: string, at: number): void {
    const all = this.text + text;
    let from = 0;
    for (let end = all.indexOf('\n\n'); end >= 0; end = all.indexOf('\n\n', from)) {
      this.message(all, from, end, at);
      from = end + 2;
    }
    this.text = from === 0 ? all : all.slice(from);
  }

  /** One message: the lines of `text` from `from` to `end`. */
  private message(text: string, from: number, end: number, at: number): void {
    let name = 'message';
    let id: string | null = null;
    let data: string | null = null;
    for (let line = from; line < end;) {
      const next = text.indexOf('\n', line);
      const lineEnd = next < 0 || next > end ? end : next;
      if (text.startsWith('data:', line)) {
        const value = text.slice(line + (text[line + 5] === ' ' ? 6 : 5), lineEnd);
        data = data === null ? value : `${data}\n${value}`;
      } else if (text.startsWith('event:', line)) name = text.slice(line + 6, lineEnd).trim();
      else if (text.startsWith('id:', line)) id = text.slice(line + 3, lineEnd).trim();
      line = lineEnd + 1;
    }
    if (data === null) {
      if (text[from] === ':') this.heartbeats += 1;
      return;
    }
    this.events += 1;
    this.onEvent({ name, data, id }, at, this);
  }
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
