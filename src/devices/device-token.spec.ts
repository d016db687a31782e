import { isNotificationService, parseDeviceToken, tokenPrefix } from './device-token.js';

describe('device tokens', () => {
  const hex64 = 'a1'.repeat(32);

  it('accepts 64 hex characters and stores them lower-case', () => {
    expect(parseDeviceToken(hex64)).toBe(hex64);
    expect(parseDeviceToken(hex64.toUpperCase())).toBe(hex64);
  });

  it('accepts longer tokens of whole bytes up to 200 characters, for future APNs formats', () => {
    expect(parseDeviceToken('0f'.repeat(50))).toBe('0f'.repeat(50));
    expect(parseDeviceToken('0f'.repeat(100))).toBe('0f'.repeat(100));
  });

  it.each([
    ['too short', 'a1'.repeat(31)],
    ['too long', '0f'.repeat(101)],
    ['an odd number of characters', `${hex64}0`],
    ['not hexadecimal', `${'a1'.repeat(31)}zz`],
    ['with spaces or brackets (an old NSData description)', `<${'a1a1a1a1 '.repeat(8).trim()}>`],
    ['empty', ''],
  ])('refuses a token %s', (_case, token) => {
    expect(parseDeviceToken(token)).toBeNull();
  });

  it('knows ios_app and nothing else', () => {
    expect(isNotificationService('ios_app')).toBe(true);
    expect(isNotificationService('android_app')).toBe(false);
    expect(isNotificationService('IOS_APP')).toBe(false);
  });

  it('logs only an 8-character prefix', () => {
    expect(tokenPrefix(hex64)).toBe('a1a1a1a1…');
  });
});
