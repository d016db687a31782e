import createFetchClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };
export { openEventStream, EVENT_NAMES } from './events.js';
export type { EventData, EventMessage, EventName, EventStream, EventStreamOptions } from './events.js';

export type OwnUser = components['schemas']['OwnUser'];
export type PublicUser = components['schemas']['PublicUser'];
export type Contact = components['schemas']['Contact'];
export type Session = components['schemas']['Session'];
export type Device = components['schemas']['Device'];
export type ApiError = components['schemas']['Error'];

export interface UnichatClient extends Client<paths> {
  /** Sends `Authorization: Bearer <token>` from now on (null: no token). */
  setAccessToken(token: string | null): void;
}

/**
 * A typed client of the Unichat accounts API: paths, parameters, bodies and answers (success and
 * error envelope) come from the OpenAPI document, so a call the service would refuse does not
 * compile. `baseUrl` is the service's origin, e.g. `https://accounts.example.com`.
 */
export function createUnichatClient(
  baseUrl: string,
  options: Omit<ClientOptions, 'baseUrl'> = {},
): UnichatClient {
  const client = createFetchClient<paths>({ ...options, baseUrl });
  let accessToken: string | null = null;
  const bearer: Middleware = {
    onRequest({ request }) {
      if (accessToken !== null && !request.headers.has('Authorization')) {
        request.headers.set('Authorization', `Bearer ${accessToken}`);
      }
      return request;
    },
  };
  client.use(bearer);
  return Object.assign(client, {
    setAccessToken(token: string | null) {
      accessToken = token;
    },
  });
}
