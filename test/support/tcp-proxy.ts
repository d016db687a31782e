import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port that forwards to the target. */
  port: number;
  /** The target is unreachable: open connections are cut, new ones are closed at once. */
  cut(): void;
  /**
   * The target stops answering, as behind a network that drops packets: bytes are no longer
   * forwarded either way, new connections are accepted and left waiting.
   */
  stall(): void;
  /**
   * New connections reach the target again. Stalled ones stay stalled, as connections to a
   * server that died and was replaced: the client has to give them up itself.
   */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP forwarder on a free loopback port, to make a server (PostgreSQL) unreachable for one app
 * and reachable again without stopping the server that other tests share.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let mode: 'forward' | 'cut' | 'stall' = 'forward';
  const server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    if (mode === 'stall') {
      open.add(client);
      client.on('close', () => open.delete(client));
      client.on('error', () => undefined);
      client.pause();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    port,
    cut() {
      mode = 'cut';
      for (const socket of open) socket.destroy();
    },
    stall() {
      mode = 'stall';
      for (const socket of open) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore() {
      mode = 'forward';
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}
