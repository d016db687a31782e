import { redactUrl } from './logging.js';

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
