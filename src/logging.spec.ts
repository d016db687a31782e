import { redactUrl } from './logging.js';

describe('log redaction', () => {
  it.each([
    ['/api/v1/events?code=abc123', '/api/v1/events?code=[REDACTED]'],
    ['/api/v1/auth/qr/5/events?key=k3y&x=1', '/api/v1/auth/qr/5/events?key=[REDACTED]&x=1'],
    ['/api/v1/auth/confirm?token=t0k', '/api/v1/auth/confirm?token=[REDACTED]'],
    ['/reset?a=1&password_reset_token=zz', '/reset?a=1&password_reset_token=[REDACTED]'],
    ['/api/v1/users?nick=ann', '/api/v1/users?nick=ann'],
    [`/api/v1/devices/${'ab'.repeat(32)}`, '/api/v1/devices/abababab…'],
  ])('redacts secrets from %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
