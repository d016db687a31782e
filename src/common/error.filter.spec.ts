import { BadRequestException, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { ErrorFilter } from './error.filter.js';
import { AppError } from './errors.js';

function fakeHost() {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const response = {
    headersSent: false,
    setHeader: (name: string, value: string) => (sent.headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    json: (body: unknown) => (sent.body = body),
  };
  const request = { id: 'req-42', method: 'GET', path: '/x' };
  const host = {
    switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('the error filter', () => {
  const filter = new ErrorFilter();

  it('writes an AppError as its code, text and status', () => {
    const { host, sent } = fakeHost();
    filter.catch(new AppError('invalid_nick', 'nick is already taken', { status: 409 }), host);
    expect(sent.status).toBe(409);
    expect(sent.body).toEqual({ error: { code: 'invalid_nick', text: 'nick is already taken' } });
  });

  it('adds retry_after and a Retry-After header to a 429', () => {
    const { host, sent } = fakeHost();
    filter.catch(new AppError('please_wait', undefined, { retryAfter: 42 }), host);
    expect(sent.status).toBe(429);
    expect(sent.body).toEqual({
      error: { code: 'please_wait', text: 'too many attempts, please wait', retry_after: 42 },
    });
    expect(sent.headers['Retry-After']).toBe('42');
  });

  it('answers an unexpected error with internal_error and the request id, never its message or stack', () => {
    const { host, sent } = fakeHost();
    const error = new Error('secret detail at /srv/app.js:12');
    filter.catch(error, host);
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({
      error: { code: 'internal_error', text: 'internal error', request_id: 'req-42' },
    });
    expect(JSON.stringify(sent.body)).not.toContain('secret detail');
  });

  it('answers a lost database or Redis connection with 503 unavailable', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection'), { driverError: { code: '57P01' } }),
      new Error('Connection is closed.'),
      // ioredis, when a silent Redis does not answer in time.
      new Error('Command timed out'),
      new Error('Ready check failed: Command timed out'),
    ]) {
      const { host, sent } = fakeHost();
      filter.catch(error, host);
      expect(sent.status).toBe(503);
      expect((sent.body as { error: { code: string } }).error.code).toBe('unavailable');
    }
  });

  it('maps body-parser and Nest errors into the envelope', () => {
    const cases: [unknown, number, string][] = [
      [
        Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }),
        413,
        'payload_too_large',
      ],
      [
        Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed' }),
        400,
        'invalid_params',
      ],
      [new NotFoundException(), 404, 'not_found'],
      [new BadRequestException('bad'), 400, 'invalid_params'],
    ];
    for (const [error, status, code] of cases) {
      const { host, sent } = fakeHost();
      filter.catch(error, host);
      expect(sent.status).toBe(status);
      expect((sent.body as { error: { code: string } }).error.code).toBe(code);
    }
  });
});
