/**
 * Every message between instances, by channel (the Redis channel is the prefix, `bus:` and the
 * name). Each one reaches every instance, its sender included. The names are on the wire: an
 * instance of an older version must still understand them, so a channel's name and shape only
 * ever grow. "Event" means a domain event (domain-events.ts); "stream message" what goes to an
 * SSE stream; these are cluster messages. (Each instance's heartbeat goes on a channel of its own,
 * outside this map: only its sender listens, see ClusterBus.)
 */
export interface ClusterMessages {
  /** Stream messages to write to users' open streams (StreamHub.deliver → every StreamHub). */
  'sse.deliver': DeliveryBatch;
  /** An SSE code was revoked: close the streams opened with it (SseCodesService → StreamHub). */
  'sse_code.revoked': { userId: number; nonce: string };
  /** Sessions ended: refuse their access tokens, close their streams (SessionsService → SessionsService). */
  'sessions.revoked': { ids: number[] };
  /**
   * Users changed: drop them from each instance's cache (UsersService → UsersService), and the kept
   * nick searches unless `nickSearch` is false (a change of no column a search reads; absent from
   * older senders).
   */
  'users.changed': { ids: number[]; nickSearch?: boolean };
  /** Avatar images removed: drop them from each instance's cache (AvatarsService → AvatarsService). */
  'avatars.removed': { keys: string[] };
  /** A QR code was approved: the browser's stream, wherever it is, settles it (QrLoginService → QrLoginStreams). */
  'qr_login.approved': { id: string };
  /** A signing key was made: read the keys again now (SigningKeysService → SigningKeysService; a hint, the database is the truth). */
  'signing_keys.changed': Record<string, never>;
  /** Webhook endpoints were added, changed or removed: read the subscriptions again (WebhookSubscriptions). */
  'webhooks.endpoints_changed': Record<string, never>;
}

export type ClusterChannel = keyof ClusterMessages;

/**
 * Stream messages for many users in one cluster message: each distinct message once (`payloads`:
 * event name and JSON data), then one item per recipient: user id, event id, payload index.
 */
export interface DeliveryBatch {
  payloads: [string, string][];
  items: [number, number, number][];
  /** When the events were raised (epoch ms), for the fan-out latency. */
  at?: number;
  /** Indexes of the items whose writing to a stream is to be recorded (DeliveryReceipts). */
  receipts?: number[];
}
