import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import vary from 'vary';

/**
 * Whether `If-None-Match` names the tag. RFC 9110 §13.1.2: the comparison is weak (a `W/` prefix
 * on either side does not matter) and `*` matches any current representation.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const wanted = etag.replace(/^W\//, '');
  return header.split(/\s*,\s*/).some((tag) => tag === '*' || tag.replace(/^W\//, '') === wanted);
}

/** A JSON answer kept to be sent again: its bytes, encoded once, and its tag, hashed once when first asked for. */
export class JsonAnswer {
  readonly bytes: Buffer;
  private tag: string | null = null;

  constructor(json: string) {
    this.bytes = Buffer.from(json);
  }

  get etag(): string {
    this.tag ??= weakTag(this.bytes);
    return this.tag;
  }
}

/**
 * Answers a record with a weak ETag, or 304 with no body when the caller already holds it.
 *
 * The tag is a hash of the JSON as this caller sees it, so it changes with every visible change:
 * the user's own fields, presence (online, status, last seen or its hint), a block, last-seen
 * privacy. A stored version number would not: presence lives on other instances and in Redis,
 * and what a viewer sees also depends on their own relation to the user. Hashing a record of a
 * few hundred bytes costs about a microsecond.
 */
export function sendWithETag(request: IncomingMessage, response: ServerResponse, body: unknown): void {
  const json = JSON.stringify(body);
  sendTagged(request, response, json, weakTag(json));
}

/** As `sendWithETag`, for an answer kept (the same bytes and tag). */
export function sendAnswerWithETag(
  request: IncomingMessage,
  response: ServerResponse,
  answer: JsonAnswer,
): void {
  sendTagged(request, response, answer.bytes, answer.etag);
}

function weakTag(json: string | Buffer): string {
  return `W/"${hash('sha1', json, 'base64url').slice(0, 22)}"`;
}

function sendTagged(
  request: IncomingMessage,
  response: ServerResponse,
  json: string | Buffer,
  etag: string,
): void {
  response.setHeader('ETag', etag);
  // The answer depends on who asks: shared caches keep none of it, and a browser asks each time.
  response.setHeader('Cache-Control', 'private, no-cache');
  // Most answers carry no Vary yet: set it outright (vary() parses the header each time).
  if (response.getHeader('Vary') === undefined) response.setHeader('Vary', 'Authorization');
  else vary(response, 'Authorization');
  if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
    response.statusCode = 304;
    response.end();
    return;
  }
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.statusCode = 200;
  response.end(json);
}

/**
 * A 200 with a JSON body already serialised, as Express's `response.json` writes it (the service
 * turns its ETag off).
 */
export function sendJson(response: ServerResponse, json: string | Buffer): void {
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json));
  response.statusCode = 200;
  response.end(json);
}
