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
  const code = await sseCode(t, user);
  const stream = await SseClient.open(
    t.url,
    `/api/v1/events?code=${encodeURIComponent(code)}${query}`,
    headers,
  );
  if (stream.status !== 200) throw new Error(`stream refused: ${stream.status}`);
  return stream;
}
