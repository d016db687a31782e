import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port that forwards to the target. */
  port: number;
  /** The target is unreachable: open connections are cut, new ones are closed at once. */
  cut(): void;
  /**
   * The target stops answering, as behind a network that drops packets (or a NAT that forgot the
   * flow): bytes are no longer forwarded either way, and nothing is closed. With no argument every
   * connection stalls, and new connections are accepted and left waiting. With `which`, only the
   * connections whose client has sent something `which` accepts (the first few KB): open ones now,
   * new ones as soon as they do.
   */
  stall(which?: (sent: string) => boolean): void;
  /**
   * Stalled connections flow again, with what they held (the kernel's buffers keep it): a network
   * that was only slow. With `which`, only the connections it accepts, as for `stall`.
   */
  release(which?: (sent: string) => boolean): void;
  /**
   * New connections reach the target again. Stalled ones stay stalled, as connections to a
   * server that died and was replaced: the client has to give them up itself.
   */
  restore(): void;
  /** How many open connections are stalled now. */
  stalledCount(): number;
  close(): Promise<void>;
}

/** What the proxy keeps of one forwarded connection. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** The first bytes the client sent, to choose connections by (a Redis CLIENT SETNAME, say). */
  sent: string;
  stalled: boolean;
}

const KEPT_BYTES = 4096;

/**
 * A TCP forwarder on a free loopback port, to make a server (PostgreSQL, Redis) unreachable or
 * silent for one app and reachable again without stopping the server that other tests share.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const links = new Set<Link>();
  let mode: 'forward' | 'cut' | 'stall' = 'forward';
  let stalls: ((sent: string) => boolean) | null = null;

  const stallLink = (link: Link) => {
    link.stalled = true;
    link.client.pause();
    link.upstream.pause();
  };

  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    if (mode === 'stall') {
      client.pause();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => undefined);
    const link: Link = { client, upstream, sent: '', stalled: false };
    links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (link.sent.length < KEPT_BYTES) link.sent += chunk.toString('latin1');
      if (!link.stalled && stalls?.(link.sent)) stallLink(link);
      if (!link.stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.stalled) client.write(chunk);
    });
    client.on('close', () => {
      links.delete(link);
      upstream.destroy();
    });
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
    stall(which) {
      if (which) {
        stalls = which;
        for (const link of links) if (which(link.sent)) stallLink(link);
        return;
      }
      mode = 'stall';
      for (const link of links) stallLink(link);
    },
    release(which) {
      if (!which || stalls === which) stalls = null;
      for (const link of links) {
        if (!link.stalled || (which && !which(link.sent))) continue;
        link.stalled = false;
        link.client.resume();
        link.upstream.resume();
      }
    },
    restore() {
      mode = 'forward';
      stalls = null;
    },
    stalledCount() {
      return [...links].filter((link) => link.stalled && !link.client.destroyed).length;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}
