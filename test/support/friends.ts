import type { TestApp, TestUser } from './harness.js';
import { SseClient } from './sse-client.js';

/** Makes two users friends through the real routes (both add each other). */
export async function befriend(t: TestApp, a: TestUser, b: TestUser): Promise<void> {
  await t.http().post('/api/v1/contacts').set(a.auth).send({ user_id: b.id }).expect(200);
  await t.http().post('/api/v1/contacts').set(b.auth).send({ user_id: a.id }).expect(200);
}

export async function sseCode(t: TestApp, user: TestUser): Promise<string> {
  return (await t.http().post('/api/v1/tokens/sse-code').set(user.auth).expect(200)).body.code;
}

/** Opens the user's event stream on `app` (any instance of the deployment). */
export async function openStream(
  t: TestApp,
  user: TestUser,
  headers: Record<string, string> = {},
  query = '',
): Promise<SseClient> {
  const stream = await streamOfCode(t, await sseCode(t, user), headers, query);
  if (stream.status !== 200) throw new Error(`stream refused: ${stream.status}`);
  return stream;
}

/** GET /events with this SSE code, whatever the answer (a refused code too: see `status`). */
export function streamOfCode(
  t: TestApp,
  code: string,
  headers: Record<string, string> = {},
  query = '',
): Promise<SseClient> {
  return SseClient.open(t.url, `/api/v1/events?code=${encodeURIComponent(code)}${query}`, headers);
}

/**
 * Opens the user's stream again after an event, as an EventSource reconnects: `Last-Event-ID`
 * (or `?last_event_id=` with `via: 'query'`) set to the event's id, an id, or the last id a
 * stream saw.
 */
export async function resumeStream(
  t: TestApp,
  user: TestUser,
  after: SseClient | { id: string | null } | string | number,
  via: 'header' | 'query' = 'header',
): Promise<SseClient> {
  const id =
    after instanceof SseClient ? after.lastEventId : typeof after === 'object' ? after.id : String(after);
  if (id === null) throw new Error('nothing to resume after: no event id was seen');
  return via === 'header'
    ? openStream(t, user, { 'Last-Event-ID': id })
    : openStream(t, user, {}, `&last_event_id=${id}`);
}

/** The browser's stream of a QR code (`id` and `key` from POST /auth/qr), whatever the answer. */
export function qrStream(
  t: TestApp,
  code: { id: string; key: string },
  headers: Record<string, string> = {},
): Promise<SseClient> {
  return SseClient.open(
    t.url,
    `/api/v1/auth/qr/${code.id}/events?key=${encodeURIComponent(code.key)}`,
    headers,
  );
}
