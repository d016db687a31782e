import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { NO_ARGUMENTS, stream } from '../common/openapi/helpers.js';
import { closed, streamMessage } from '../common/openapi/schemas.js';

// The stream carries the events of several features: their payload schemas are declared by the
// feature that sends each (users, presence, contacts, blocking, account); sse/ names them here.
const EVENT_STREAM_DESCRIPTION = [
  'A `text/event-stream` of Server-Sent Events. Each message has `id:` (per user, increasing: send',
  'it back as `Last-Event-ID`, or `?last_event_id=`, to resume), `event:` and one line of JSON `data:`.',
  'A comment line keeps the connection open every 25 s; `retry:` is sent once.',
  '',
  '| event | data |',
  '|---|---|',
  '| `user_updated` | `UserUpdatedEvent`: own record to the user, public record to friends |',
  '| `presence` | `PresenceEvent` |',
  '| `contact_added` | `ContactAddedEvent` |',
  '| `blocked`, `unblocked` | `BlockEvent` |',
  '| `user_deleted` | `UserDeletedEvent`: a friend deleted their account |',
  '| `resync` | `ResyncEvent` (`{}`): events since `Last-Event-ID` are gone; reload what you show |',
].join('\n');

export const SSE_RPC = {
  api_create_sse_auth_code: { rest: 'POST /tokens/sse-code', access: 'confirmed', dto: NO_ARGUMENTS },
  api_delete_sse_auth_code: { rest: 'DELETE /tokens/sse-code', access: 'confirmed', dto: NO_ARGUMENTS },
} satisfies Record<string, RpcMethodContract>;

export const SSE_CONTRACT: ApiContract = {
  operations: {
    'POST /tokens/sse-code': {
      status: 200,
      body: 'SseCodeAnswer',
      description:
        'Answers 200, not 201: it returns the existing code when there is one (the seed calls it again at each start), so nothing is necessarily created.',
    },
    'DELETE /tokens/sse-code': { status: 200, body: 'Empty' },
    'GET /events': {
      status: 200,
      body: stream('EventMessage', EVENT_STREAM_DESCRIPTION),
      errors: ['please_wait'],
      params: {
        code: {
          in: 'query',
          required: true,
          type: 'string',
          minLength: 1,
          description: 'From POST /tokens/sse-code.',
        },
        last_event_id: {
          in: 'query',
          type: 'string',
          pattern: '^[0-9]*$',
          example: '42',
          description: 'For clients that cannot send `Last-Event-ID`; the header wins.',
        },
        'Last-Event-ID': {
          in: 'header',
          type: 'string',
          description: 'The last id seen: the stream starts with the events after it, or `resync`.',
        },
      },
    },
  },
  schemas: {
    SseCodeAnswer: closed({
      code: {
        type: 'string',
        example: '290.q2Lx…',
        description: 'The credential of GET /events?code=; the same one until revoked.',
      },
    }),
    ResyncEvent: {
      ...closed({}),
      description: '`resync`: the `Last-Event-ID` is older than the kept events: reload state.',
    },
    EventMessage: {
      description:
        'One message of GET /events, as an EventSource delivers it: `id` (for `Last-Event-ID`), the event name, and its `data`: one line of JSON text whose parsed value has the schema named by `x-data-schema`.',
      oneOf: [
        streamMessage(['user_updated'], 'UserUpdatedEvent'),
        streamMessage(['presence'], 'PresenceEvent'),
        streamMessage(['contact_added'], 'ContactAddedEvent'),
        streamMessage(['blocked', 'unblocked'], 'BlockEvent'),
        streamMessage(['user_deleted'], 'UserDeletedEvent'),
        streamMessage(['resync'], 'ResyncEvent'),
      ],
    },
  },
  rpcMethods: SSE_RPC,
};
