import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import cors from 'cors';
import helmet from 'helmet';
import { type Layer, sameHeaders } from './front-door.js';

/** A GET as the front door takes it, from `origin` (or none). */
function get(origin?: string): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.method = 'GET';
  request.url = '/api/v1/me';
  request.headers = origin === undefined ? {} : { origin };
  return request;
}

/** The headers a layer leaves on a fresh answer: raw names in the order set, and values. */
function headersAfter(layer: Layer, request: IncomingMessage): [string, unknown][] {
  const response = new ServerResponse(request) as ServerResponse & { getRawHeaderNames(): string[] };
  let through = false;
  layer(request, response, () => (through = true));
  expect(through).toBe(true);
  return response.getRawHeaderNames().map((name) => [name, response.getHeader(name)]);
}

describe('sameHeaders', () => {
  const layers: Layer[] = [
    helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }),
    cors({ origin: ['https://app.example.com'], exposedHeaders: ['ETag'], maxAge: 600 }),
  ];
  const ranEachTime: Layer = (request, response, next) => {
    let index = 0;
    const step = (): void => {
      const layer = layers[index++];
      if (layer) layer(request, response, step);
      else next();
    };
    step();
  };

  it('sets what the layers set, for each origin, past the origins it keeps', () => {
    const kept = sameHeaders(layers);
    const origins = [undefined, 'https://app.example.com', 'https://elsewhere.example.com'];
    for (let index = 0; index < 100; index += 1) origins.push(`https://site${index}.example.com`);
    // Asked twice each: once as it is kept, once from what was kept (or again, past the kept ones).
    for (const origin of [...origins, ...origins, 'https://app.example.com']) {
      expect(headersAfter(kept, get(origin))).toEqual(headersAfter(ranEachTime, get(origin)));
    }
    expect(headersAfter(kept, get('https://app.example.com'))).toContainEqual([
      'Access-Control-Allow-Origin',
      'https://app.example.com',
    ]);
    expect(headersAfter(kept, get('https://site99.example.com'))).not.toContainEqual([
      'Access-Control-Allow-Origin',
      expect.anything(),
    ]);
  });

  it('leaves a request whose layers do not go on at once to them', () => {
    const later: Layer = (_request, response, next) => {
      response.setHeader('X-Later', '1');
      setImmediate(next);
    };
    const kept = sameHeaders([later]);
    const response = new ServerResponse(get());
    let through = false;
    kept(get(), response, () => (through = true));
    expect(through).toBe(false);
    return new Promise<void>((done) =>
      setImmediate(() => {
        expect(through).toBe(true);
        expect(response.getHeader('X-Later')).toBe('1');
        done();
      }),
    );
  });
});
