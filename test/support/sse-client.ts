import http from 'node:http';
import { waitFor } from './wait.js';

export interface StreamEvent {
  id: string | null;
  event: string;
  data: unknown;
}

/** A message as it came over the wire: `data` is the text of its `data:` lines. */
export interface WireMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Checks each message against the API document (set by the harness); what it finds is kept in
 * `streamProblems`, which fails the test file.
 */
export const streamChecks: {
  check: ((path: string, message: WireMessage) => string | null) | null;
  problems: string[];
} = { check: null, problems: [] };

/** A real HTTP client reading a text/event-stream, as a browser's EventSource would. */
export class SseClient {
  readonly events: StreamEvent[] = [];
  readonly comments: string[] = [];
  retry: number | null = null;
  /** What an EventSource would send as Last-Event-ID on reconnecting (set by any `id:`, with or without data). */
  lastEventId: string | null = null;
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  body = '';
  private request: http.ClientRequest | null = null;
  private path = '';

  static async open(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    client.path = path;
    await client.connect(baseUrl + path, headers);
    return client;
  }

  private connect(url: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.request = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
        this.status = response.statusCode ?? 0;
        this.headers = response.headers;
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          if (this.status !== 200) {
            this.body += chunk;
            return;
          }
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        response.on('end', () => (this.ended = true));
        response.on('close', () => (this.ended = true));
        resolve();
      });
      this.request.on('error', (error) => (this.ended ? undefined : reject(error)));
    });
  }

  private parse(block: string): void {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (id !== null) this.lastEventId = id;
    if (data.length === 0) return;
    const problem = streamChecks.check?.(this.path, { id, event, data: data.join('\n') });
    if (problem) streamChecks.problems.push(problem);
    this.events.push({ id, event, data: JSON.parse(data.join('\n')) });
  }

  /** Waits for an event of this kind (matching `where`), newer than the first `after` events. */
  async next<T = Record<string, unknown>>(
    event: string,
    where: (data: T) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<StreamEvent & { data: T }> {
    return waitFor(
      () =>
        this.events.find((e) => e.event === event && where(e.data as T)) as
          (StreamEvent & { data: T }) | undefined,
      `a "${event}" event`,
      timeoutMs,
    );
  }

  of(event: string): StreamEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  close(): void {
    this.ended = true;
    this.request?.destroy();
  }
}
