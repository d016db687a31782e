import type { IncomingMessage } from 'node:http';
import { type INestApplication } from '@nestjs/common';
import { sendJson, sendAnswerWithETag, sendWithETag } from './common/conditional-get.js';
import { type FrontRoute } from './common/front-door.js';
import { parseId } from './common/ids.js';
import { ProfileService } from './profile/profile.service.js';
import { ConfirmationGate } from './sessions/confirmation-gate.service.js';
import { KnownTokens } from './sessions/known-tokens.service.js';
import { SseCodesService } from './sse/sse-codes.service.js';
import { parseLastEventId } from './sse/sse-stream.js';
import { StreamHub } from './sse/stream-hub.service.js';
import { MAX_IDS_QUERY_LENGTH, MAX_NICK_QUERY_LENGTH, parseUsersQuery } from './users/dto/users-query.dto.js';
import { UserDirectoryService } from './users/user-directory.service.js';

/**
 * The routes the front door answers (common/front-door.ts): the reads a chat client repeats most,
 * and the event stream, which it holds open. Each is also a controller route, which documents it
 * and answers every request this leaves out (errors, first use of a token, unusual shapes).
 */
export function hotRoutes(app: INestApplication): FrontRoute[] {
  const known = app.get(KnownTokens);
  const directory = app.get(UserDirectoryService);
  const profile = app.get(ProfileService);
  const codes = app.get(SseCodesService);
  const hub = app.get(StreamHub);
  const confirmation = app.get(ConfirmationGate);

  /** The caller: null for none, undefined when the token needs the guard (first use, refusal). */
  const caller = (request: IncomingMessage) =>
    request.headers.authorization === undefined ? null : (known.admitKnown(request) ?? undefined);

  return [
    {
      pattern: '/api/v1/users/:id',
      match: (path) => /^\/api\/v1\/users\/([^/]+)$/.exec(path)?.slice(1) ?? null,
      query: [],
      async answer(request, [raw]) {
        const id = parseId(raw);
        const viewer = caller(request);
        if (id === null || viewer === undefined) return null;
        const body = { user: await directory.publicUser(id, viewer?.userId ?? null) };
        return (response) => sendWithETag(request, response, body);
      },
    },
    {
      // Several users at once, or a nick search, for a caller with a confirmed address: the DTO's
      // limits checked as the validation pipe would; whatever the guard, the DTO or the lookup
      // refuses is the framework's to answer.
      pattern: '/api/v1/users',
      match: (path) => (path === '/api/v1/users' ? [] : null),
      query: ['ids', 'nick'],
      async answer(request, _params, query) {
        const user = caller(request);
        if (!user) return null;
        await confirmation.assertConfirmed(user);
        const { ids = '', nick = '' } = query;
        if (ids.length > MAX_IDS_QUERY_LENGTH || nick.length > MAX_NICK_QUERY_LENGTH) return null;
        const lookup = parseUsersQuery(query);
        if ('ids' in lookup) {
          const answer = await directory.publicUsersAnswer(lookup.ids, user.userId);
          return (response) => sendAnswerWithETag(request, response, answer);
        }
        const answer = await directory.searchAnswer(lookup.nick, user.userId);
        return (response) => sendJson(response, answer.bytes);
      },
    },
    {
      pattern: '/api/v1/me',
      match: (path) => (path === '/api/v1/me' ? [] : null),
      query: [],
      async answer(request) {
        const user = caller(request);
        if (!user) return null;
        const body = { user: await profile.me(user.userId, user.sessionId) };
        return (response) => sendWithETag(request, response, body);
      },
    },
    {
      pattern: '/api/v1/events',
      match: (path) => (path === '/api/v1/events' ? [] : null),
      query: ['code', 'last_event_id'],
      async answer(request, _params, query) {
        const owner = query.code ? await codes.verify(query.code) : null;
        if (!owner) return null;
        const header = request.headers['last-event-id'];
        const lastEventId = parseLastEventId(typeof header === 'string' ? header : query.last_event_id);
        await hub.admit(owner);
        return (response) => hub.attach(owner, response, lastEventId);
      },
    },
  ];
}
