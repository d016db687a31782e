import { waitFor } from '../../test/support/wait.js';
import type { AppConfig } from '../config/app-config.js';
import { Heartbeat } from './heartbeat.service.js';
import type { SseStream } from './sse-stream.js';

/** What the heartbeat needs of a stream; records what was written to it. */
function fakeStream() {
  const written: string[] = [];
  let onClose = () => {};
  const stream = {
    write: (message: string) => void written.push(message),
    onClose: (handler: () => void) => void (onClose = handler),
    close: () => onClose(),
  };
  return { stream: stream as unknown as SseStream, written, closeByClient: () => onClose() };
}

describe('heartbeat', () => {
  it('sends every open stream a keep-alive comment each period, thousands of streams included', async () => {
    const heartbeat = new Heartbeat({ sseHeartbeatSeconds: 0.05 } as AppConfig);
    const streams = Array.from({ length: 2500 }, fakeStream);
    for (const { stream } of streams) heartbeat.add(stream);
    const [closed, ...open] = streams;
    closed.closeByClient();
    try {
      await waitFor(() => open.every(({ written }) => written.length >= 2), 'two beats on every open stream');
      expect(open.every(({ written }) => written.every((message) => message === ': keep-alive\n\n'))).toBe(
        true,
      );
      expect(closed.written).toEqual([]);
    } finally {
      heartbeat.beforeApplicationShutdown();
    }
  });
});
