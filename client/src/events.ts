import type { components } from './schema.js';

type Schemas = components['schemas'];
/** The events of `GET /api/v1/events`, as the document's message schema lists them. */
export type EventName = Schemas['EventMessage']['event'];
/** The parsed `data` of each event: the schema each message names in `x-data-schema`. */
interface EventPayloads {
  user_updated: Schemas['UserUpdatedEvent'];
  presence: Schemas['PresenceEvent'];
  contact_added: Schemas['ContactAddedEvent'];
  blocked: Schemas['BlockEvent'];
  unblocked: Schemas['BlockEvent'];
  user_deleted: Schemas['UserDeletedEvent'];
  resync: Schemas['ResyncEvent'];
}
/** One message of `GET /api/v1/events`, its `data` parsed from its JSON line: `{id, event, data}`. */
export type EventMessage = {
  [N in EventName]: { id?: string; event: N; data: EventPayloads[N] };
}[EventName];
/** The `data` of the event `N`, e.g. `EventData<'presence'>`. */
export type EventData<N extends EventName> = EventPayloads[N];

/** Every event the stream sends (checked against the document's list below). */
export const EVENT_NAMES = [
  'user_updated',
  'presence',
  'contact_added',
  'blocked',
  'unblocked',
  'user_deleted',
  'resync',
] as const;
type Unlisted = Exclude<EventName, (typeof EVENT_NAMES)[number]>;
const everyEventListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyEventListed;

/** What the helper needs of an EventSource (the browser's, or the `eventsource` package's). */
interface MessageLike {
  data: string;
  lastEventId: string;
}
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageLike) => void): void;
  close(): void;
}
export type EventSourceConstructor = new (url: string) => EventSourceLike;

export interface EventStreamOptions {
  /** The service's origin, e.g. `https://accounts.example.com`. */
  baseUrl: string;
  /** From `POST /api/v1/tokens/sse-code`. */
  code: string;
  /** Resume after this id: the events since are sent first, or `resync` when they are gone. */
  lastEventId?: string | null;
  onEvent(message: EventMessage): void;
  /** The stream is closed for good (e.g. the code was revoked: ask a new one and `reopen`). */
  onClosed?(): void;
  /** Defaults to the global `EventSource` (browsers). */
  EventSource?: EventSourceConstructor;
}

export interface EventStream {
  /** The id of the last event received: what a resume starts after. */
  readonly lastEventId: string | null;
  /** Opens the stream again with a (new) code, resuming after `lastEventId`. */
  reopen(code?: string): void;
  close(): void;
}

/**
 * Opens the live event stream with an SSE code. While the connection drops and comes back the
 * EventSource resumes by itself (`Last-Event-ID`); `reopen` resumes with a new code after a
 * revocation or a restart of the app.
 */
export function openEventStream(options: EventStreamOptions): EventStream {
  const Source = options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (!Source) throw new Error('no EventSource: pass options.EventSource');
  let lastEventId = options.lastEventId ?? null;
  let code = options.code;
  let source: EventSourceLike | null = null;

  const open = () => {
    const url = new URL('/api/v1/events', options.baseUrl);
    url.searchParams.set('code', code);
    if (lastEventId !== null) url.searchParams.set('last_event_id', lastEventId);
    const current = new Source(url.toString());
    source = current;
    for (const event of EVENT_NAMES) {
      current.addEventListener(event, (message) => {
        if (message.lastEventId) lastEventId = message.lastEventId;
        options.onEvent({
          id: message.lastEventId || undefined,
          event,
          data: JSON.parse(message.data),
        } as EventMessage);
      });
    }
    current.addEventListener('error', () => {
      // 2: CLOSED, the EventSource gave up (a 401 for a revoked code, say); else it retries itself.
      if (current.readyState === 2 && source === current) options.onClosed?.();
    });
  };
  open();
  return {
    get lastEventId() {
      return lastEventId;
    },
    reopen(newCode?: string) {
      source?.close();
      if (newCode) code = newCode;
      open();
    },
    close() {
      source?.close();
      source = null;
    },
  };
}
