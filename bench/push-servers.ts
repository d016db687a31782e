// The servers of the push bench (bench/push.ts), in a process of their own so that the two sides
// do not share an event loop: a plain FCM with Google's token endpoint, and an HTTPS push service
// answering 201. Started with the folder holding key.pem and cert.pem; sends its two ports.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The child: a plain FCM + token endpoint, and an HTTPS push service answering 201. */
async function serve(dir: string): Promise<void> {
  const fcm = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        request.url === '/token'
          ? JSON.stringify({ access_token: 'ya29.bench', expires_in: 3600, token_type: 'Bearer' })
          : '{"name":"projects/bench/messages/1"}',
      );
    });
  });
  const push = https.createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(201).end());
    },
  );
  await Promise.all([
    new Promise<void>((done) => fcm.listen(0, '127.0.0.1', done)),
    new Promise<void>((done) => push.listen(0, '127.0.0.1', done)),
  ]);
  process.send?.({
    fcm: (fcm.address() as { port: number }).port,
    push: (push.address() as { port: number }).port,
  });
}

void serve(process.argv[2]);
