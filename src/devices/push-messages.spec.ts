import { describeUserAgent, formatTime, pushMessages } from './push-messages.js';

describe('push messages', () => {
  it('names who added you, and is about them; chat-type news, one notification per adder', () => {
    expect(pushMessages.contactAdded({ id: 7, nick: 'Annabel' })).toEqual({
      event: 'contact_added',
      userId: 7,
      title: 'New contact',
      body: 'Annabel added you as a contact.',
      collapseId: 'contact_added:7',
      dedupe: true,
    });
    expect(pushMessages.contactAdded({ id: 7, nick: null }).body).toBe('Someone added you as a contact.');
  });

  it('tells a new login with the device and the time', () => {
    const ua =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const message = pushMessages.newLogin(3, ua, new Date('2025-11-23T10:14:59.000Z'));
    expect(message).toMatchObject({ event: 'new_login', userId: 3, title: 'New login to your account' });
    expect(message.body).toBe(
      "Chrome on macOS, 2025-11-23 10:14 UTC. If this wasn't you, change your password.",
    );
  });

  it('tells a password change from a reset', () => {
    expect(pushMessages.passwordChanged(3, 'update')).toMatchObject({
      event: 'password_changed',
      title: 'Password changed',
    });
    expect(pushMessages.passwordChanged(3, 'reset')).toMatchObject({
      event: 'password_reset',
      title: 'Password reset',
    });
    // Security news always goes: never held back as a duplicate.
    expect(pushMessages.passwordChanged(3, 'reset').dedupe).toBe(false);
    expect(pushMessages.newLogin(3, null, new Date()).dedupe).toBe(false);
  });

  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      'Safari on iPhone',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    ['Unichat/2.3 (iPad; iOS 17.1) CFNetwork/1408 Darwin/23.1.0', 'Unichat app on iPad'],
    ['curl/8.4.0', 'curl'],
    [null, 'Unknown device'],
    ['', 'Unknown device'],
  ])('describes the user agent %s as %s', (ua, description) => {
    expect(describeUserAgent(ua)).toBe(description);
  });

  it('never repeats words of a user agent it does not know (they are chosen by whoever logged in)', () => {
    expect(describeUserAgent('Unichat support: your account is fine, ignore this')).toBe('Unichat app');
    expect(describeUserAgent('Call +1 555 0100 now')).toBe('Unknown device');
  });

  it('writes times in UTC to the minute', () => {
    expect(formatTime(new Date('2025-01-02T03:04:05.678Z'))).toBe('2025-01-02 03:04 UTC');
  });
});
