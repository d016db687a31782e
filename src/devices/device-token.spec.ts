import { randomBytes } from 'node:crypto';
import {
  deviceNamed,
  isNotificationService,
  parseApnsToken,
  parseFcmToken,
  tokenPrefix,
} from './device-token.js';

describe('device tokens', () => {
  const hex64 = 'a1'.repeat(32);
  const fcm = `cXa9r2LxQZ6:APA91b${randomBytes(100).toString('base64url')}`;

  it('accepts 64 hex characters as an APNs token and stores them lower-case', () => {
    expect(parseApnsToken(hex64)).toBe(hex64);
    expect(parseApnsToken(hex64.toUpperCase())).toBe(hex64);
  });

  it('accepts longer APNs tokens of whole bytes up to 200 characters, for future APNs formats', () => {
    expect(parseApnsToken('0f'.repeat(50))).toBe('0f'.repeat(50));
    expect(parseApnsToken('0f'.repeat(100))).toBe('0f'.repeat(100));
  });

  it.each([
    ['too short', 'a1'.repeat(31)],
    ['too long', '0f'.repeat(101)],
    ['an odd number of characters', `${hex64}0`],
    ['not hexadecimal', `${'a1'.repeat(31)}zz`],
    ['with spaces or brackets (an old NSData description)', `<${'a1a1a1a1 '.repeat(8).trim()}>`],
    ['empty', ''],
  ])('refuses an APNs token %s', (_case, token) => {
    expect(parseApnsToken(token)).toBeNull();
  });

  it('accepts an FCM registration token as given, and refuses one with spaces, slashes or too short', () => {
    expect(parseFcmToken(fcm)).toBe(fcm);
    expect(parseFcmToken('short:token')).toBeNull();
    expect(parseFcmToken(`${fcm} x`)).toBeNull();
    expect(parseFcmToken(`${fcm}/x`)).toBeNull();
  });

  it('knows ios_app, android_app and web_push, and nothing else', () => {
    expect(['ios_app', 'android_app', 'web_push'].every(isNotificationService)).toBe(true);
    expect(isNotificationService('IOS_APP')).toBe(false);
    expect(isNotificationService('gcm')).toBe(false);
  });

  it('names a phone by its token and a browser by its endpoint or its whole subscription', () => {
    expect(deviceNamed(hex64.toUpperCase())).toEqual({ token: hex64 });
    expect(deviceNamed(fcm)).toEqual({ token: fcm });
    expect(deviceNamed('https://push.example/send/abc')).toEqual({
      endpoint: 'https://push.example/send/abc',
    });
    expect(deviceNamed(JSON.stringify({ endpoint: 'https://push.example/send/abc', keys: {} }))).toEqual({
      endpoint: 'https://push.example/send/abc',
    });
    expect(deviceNamed('not-a-token')).toBeNull();
    expect(deviceNamed('{not json')).toBeNull();
  });

  it('logs only an 8-character prefix, and for a browser its push service and a little of its endpoint', () => {
    expect(tokenPrefix(hex64)).toBe('a1a1a1a1…');
    const subscription = JSON.stringify({ endpoint: 'https://push.example/send/Zx81abcdefgh', keys: {} });
    expect(tokenPrefix(subscription)).toBe('push.example/…Zx81abcd…');
  });
});
