import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '../common/errors.js';
import { AvatarFetcher } from './avatar-fetch.js';

describe('AvatarFetcher', () => {
  it.each([
    'https://10.0.0.8/me.png',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/me.png',
    'https://0.0.0.0/me.png',
    'https://100.64.0.1/me.png',
    'https://[fd00::1]/me.png',
    'https://[::127.0.0.1]/me.png',
    'https://2130706433/me.png',
    'https://0x7f.1/me.png',
  ])('refuses %s, a private or reserved address, before connecting', async (url) => {
    const fetcher = new AvatarFetcher({ allowHosts: [], ca: null });
    await expect(fetcher.fetch(url)).rejects.toEqual(
      new AppError('invalid_avatar', 'avatar URL leads to a private or reserved address'),
    );
  });

  describe('against a host that accepts the connection and never answers', () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();
    const open = new Set<Socket>();

    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        open.add(socket);
        socket.on('close', () => open.delete(socket)).resume();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives up at its deadline with invalid_avatar and leaves no connection open', async () => {
      const fetcher = new AvatarFetcher({ allowHosts: ['127.0.0.1'], ca: null, timeoutMs: 300 });
      const started = Date.now();
      await expect(fetcher.fetch(`https://127.0.0.1:${port}/me.png`)).rejects.toEqual(
        new AppError('invalid_avatar', 'avatar URL took too long to answer'),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(sockets.size).toBe(1);
      for (let wait = 0; open.size > 0 && wait < 100; wait += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(open.size).toBe(0);
    });
  });
});
