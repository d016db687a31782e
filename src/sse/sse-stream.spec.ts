import { once } from 'node:events';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { sseMessage, SseStream } from './sse-stream.js';

/** A node:http server whose every request becomes an SseStream handed to `onStream`. */
async function serve(onStream: (stream: SseStream) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => onStream(new SseStream(response)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('an event stream', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('reaches an HTTP client intact, UTF-8 included, and ends as a response should', async () => {
    const started = await serve((stream) => {
      stream.setLastEventId(4);
      stream.send('user_updated', '{"nick":"Zoë €"}', 5);
      stream.write(sseMessage('presence', '{"user_id":7}', 6));
      stream.write(': keep-alive\n\n');
      stream.close();
    });
    server = started.server;
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${started.port}/`, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(text));
        response.on('error', reject);
      }).on('error', reject);
    });
    expect(body).toBe(
      'retry: 3000\n\nid: 4\n\n' +
        'id: 5\nevent: user_updated\ndata: {"nick":"Zoë €"}\n\n' +
        'id: 6\nevent: presence\ndata: {"user_id":7}\n\n' +
        ': keep-alive\n\n',
    );
  });

  it('drops a client that stopped reading instead of queueing its messages without bound', async () => {
    let opened: (stream: SseStream) => void = () => {};
    const streamOpened = new Promise<SseStream>((resolve) => (opened = resolve));
    const started = await serve((stream) => opened(stream));
    server = started.server;
    const client = connect(started.port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    client.pause();
    const clientClosed = once(client, 'close');
    const stream = await streamOpened;
    const message = sseMessage('user_updated', JSON.stringify({ filler: 'x'.repeat(64 * 1024) }));
    let written = 0;
    try {
      // Whatever the kernel buffers, then 1 MB in the process: far below this bound.
      while (!stream.isClosed && written < 256 * 1024 * 1024) {
        stream.write(message);
        written += message.length;
      }
      expect(stream.isClosed).toBe(true);
      client.resume();
      await clientClosed;
    } finally {
      client.destroy();
    }
  });
});
