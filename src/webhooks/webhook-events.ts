import { type AvatarRecord, avatarRecord } from '../users/user-records.js';
import type { UpdatedUser } from '../bus/domain-events.js';

/** The events an endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.confirmed',
  'user.updated',
  'user.deleted',
  'user.disabled',
  'user.enabled',
  'session.ended',
  'block.created',
  'block.deleted',
  'contact.added',
  'contact.removed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What "send a test event" sends, whatever the endpoint subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * A user as webhooks tell it: the id and public fields, as an anonymous caller sees them, plus
 * whether the address is confirmed. Never the email, a token or the password hash.
 */
export interface WebhookUser {
  id: number;
  nick: string | null;
  avatar: AvatarRecord | null;
  confirmed: boolean;
  created_at: string;
}

export function webhookUser(user: UpdatedUser, publicUrl: string): WebhookUser {
  return {
    id: user.id,
    nick: user.nick,
    avatar: avatarRecord(user, publicUrl),
    confirmed: user.confirmedAt !== null,
    created_at: user.createdAt.toISOString(),
  };
}

/** The body of every delivery, as signed and sent. */
export interface WebhookBody {
  type: WebhookEventType | typeof TEST_EVENT_TYPE;
  /** When the change happened (ISO 8601). */
  timestamp: string;
  data: Record<string, unknown>;
}
