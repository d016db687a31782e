import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createRootLogger, redactUrl, writeRequestLine } from './logging.js';

describe('log redaction', () => {
  it.each([
    ['/api/v1/events?code=abc123', '/api/v1/events?code=[REDACTED]'],
    ['/api/v1/auth/qr/5/events?key=k3y&x=1', '/api/v1/auth/qr/5/events?key=[REDACTED]&x=1'],
    ['/api/v1/auth/confirm?token=t0k', '/api/v1/auth/confirm?token=[REDACTED]'],
    ['/reset?a=1&password_reset_token=zz', '/reset?a=1&password_reset_token=[REDACTED]'],
    ['/api/v1/users?nick=ann', '/api/v1/users?nick=ann'],
    [`/api/v1/devices/${'ab'.repeat(32)}`, '/api/v1/devices/abababab…'],
    // Names and values however they are percent-encoded: the server decodes both.
    ['/api/v1/events?%63ode=abc123', '/api/v1/events?%63ode=[REDACTED]'],
    ['/api/v1/events?co%64e=abc123&x=1', '/api/v1/events?co%64e=[REDACTED]&x=1'],
    ['/api/v1/auth/qr/5/events?%6Bey=k3y', '/api/v1/auth/qr/5/events?%6Bey=[REDACTED]'],
    ['/api/v1/auth/qr/5/events?%6bEY=k3y', '/api/v1/auth/qr/5/events?%6bEY=[REDACTED]'],
    ['/api/v1/auth/confirm?%74oken=t0k', '/api/v1/auth/confirm?%74oken=[REDACTED]'],
    ['/api/v1/auth/confirm?%74%6F%6B%65%6E=t0k', '/api/v1/auth/confirm?%74%6F%6B%65%6E=[REDACTED]'],
    ['/api/v1/me?access_token=eyJ.x.y', '/api/v1/me?access_token=[REDACTED]'],
    ['/api/v1/me?access%5Ftoken=eyJ.x.y', '/api/v1/me?access%5Ftoken=[REDACTED]'],
    ['/api/v1/me?a=1&auth_token=zz', '/api/v1/me?a=1&auth_token=[REDACTED]'],
    ['/api/v1/events?code=%61%62%63', '/api/v1/events?code=[REDACTED]'],
    ['/api/v1/events?code=a&code=b', '/api/v1/events?code=[REDACTED]&code=[REDACTED]'],
    ['/api/v1/events?x=1&&code=a%26b', '/api/v1/events?x=1&&code=[REDACTED]'],
    // Lenient decoding, as the server's: a broken escape elsewhere does not hide the name.
    ['/api/v1/events?%63ode%=abc', '/api/v1/events?%63ode%=abc'],
    ['/api/v1/events?%63o%de=abc&%63ode=s3cret', '/api/v1/events?%63o%de=abc&%63ode=[REDACTED]'],
    ['/api/v1/events?%ZZ=1&%63ode=s3cret', '/api/v1/events?%ZZ=1&%63ode=[REDACTED]'],
    // Other names stay readable; so do names that only contain a secret name.
    ['/api/v1/users?nick=code&keys=1&codes=2', '/api/v1/users?nick=code&keys=1&codes=2'],
    [`/api/v1/devices/%61%62${'ab'.repeat(31)}`, '/api/v1/devices/abababab…'],
    // An FCM token, a browser's percent-encoded push endpoint; the test push route stays itself.
    ['/api/v1/devices/cXa9r2Lx:APA91bHqz', '/api/v1/devices/cXa9r2Lx…'],
    ['/api/v1/devices/https%3A%2F%2Fpush.example%2Fsend%2Fs3cret', '/api/v1/devices/https://…'],
    ['/api/v1/devices/test-push', '/api/v1/devices/test-push'],
  ])('redacts secrets from %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('request lines', () => {
  /** A root logger at `level` and the lines it writes. */
  function logger(level: 'info' | 'warn') {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { root: createRootLogger({ logLevel: level }, sink), lines };
  }

  function exchange(url: string, headers: Record<string, string>, status: number) {
    const request = Object.assign(new IncomingMessage(new Socket()), { id: 'req-1', method: 'GET', url });
    request.headers = headers;
    const response = new ServerResponse(request);
    response.statusCode = status;
    return { request, response };
  }

  const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

  it.each([
    ['/api/v1/users/7', { 'user-agent': 'curl/8.5' }, 200, 'request completed'],
    [
      '/api/v1/events?code=s3cret&x="1"',
      { 'user-agent': 'Ünï "quoted" \\ agent\u0001' },
      200,
      'request closed by the client',
    ],
    ['/api/v1/me', {}, 503, 'request errored'],
  ])('writes the line pino writes for %s, secrets redacted', async (url, headers, status, message) => {
    const { root, lines } = logger('info');
    const { request, response } = exchange(url, headers, status);
    const level = status >= 500 ? 'error' : 'info';
    root[level]({ req: request, res: response, responseTime: 3 }, message);
    writeRequestLine(root, level, request, response, 3, message);
    await new Promise(setImmediate);
    expect(lines).toHaveLength(2);
    expect(withoutTime(lines[1])).toBe(withoutTime(lines[0]));
    expect(lines[1]).not.toContain('s3cret');
  });

  it('writes no line below the level', async () => {
    const { root, lines } = logger('warn');
    const { request, response } = exchange('/api/v1/me', {}, 200);
    writeRequestLine(root, 'info', request, response, 1, 'request completed');
    await new Promise(setImmediate);
    expect(lines).toEqual([]);
  });
});
