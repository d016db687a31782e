import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/** More of an answer's body is never read: a push service's error is a line of JSON. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface PushHttpOptions {
  /** Resolves host names (and may refuse their addresses); Node's own when absent. */
  lookup?: LookupFunction;
  /** CA certificates trusted instead of Node's (give Node's too to add one). */
  ca?: string[];
  timeoutMs: number;
}

/**
 * POSTs to a push service over connections kept open between pushes (keep-alive), as a push
 * service expects from a sender. Node's http is used rather than fetch: a push is one small
 * request, and fetch cost three times the CPU per request here.
 */
export class PushHttp {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(private readonly options: PushHttpOptions) {
    this.httpsAgent = new https.Agent({ keepAlive: true, lookup: options.lookup, ca: options.ca });
    this.httpAgent = new http.Agent({ keepAlive: true, lookup: options.lookup });
  }

  /** The answer's status and body (its first 64 KB); rejects when there was no answer in time. */
  post(
    url: URL,
    headers: Record<string, string>,
    body: Buffer | string,
  ): Promise<{ status: number; body: string }> {
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: secure ? this.httpsAgent : this.httpAgent,
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let length = 0;
          response.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          response.on('end', () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          response.on('error', fail);
        },
      );
      const timer = setTimeout(
        () => request.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })),
        this.options.timeoutMs,
      );
      function fail(error: Error): void {
        clearTimeout(timer);
        reject(error);
      }
      request.on('error', fail);
      request.end(body);
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}
