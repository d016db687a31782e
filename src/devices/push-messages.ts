import { type SecondFactorNotice } from '../bus/domain-events.js';

/** Why a push was sent; the app receives it as `unichat.event`. */
export type PushEvent =
  | 'contact_added'
  | 'new_login'
  | 'password_changed'
  | 'password_reset'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'passkey_removed'
  | 'test_push';

/** One push, ready to send: the alert and the custom payload's `{event, user_id}`. */
export interface PushMessage {
  event: PushEvent;
  /** The user the push is about: who added you (contact_added), else the account itself. */
  userId: number;
  title: string;
  body: string;
  /**
   * apns-collapse-id: one notification on the phone for pushes that share it (a retry whose first
   * answer was lost, the same contact added again). Null: PushService makes one per notification.
   */
  collapseId: string | null;
  /** Chat-type news: not pushed twice within the de-duplication window. Security pushes always go. */
  dedupe: boolean;
}

interface MessageArgs {
  contact_added: { name: string };
  new_login: { device: string; time: string };
  password_changed: Record<string, never>;
  password_reset: Record<string, never>;
  mfa_enabled: Record<string, never>;
  mfa_disabled: Record<string, never>;
  recovery_code_used: { left: number };
  passkey_added: Record<string, never>;
  passkey_removed: Record<string, never>;
  test_push: Record<string, never>;
}

type Catalogue = { [E in PushEvent]: (args: MessageArgs[E]) => { title: string; body: string } };

/**
 * Every alert text, keyed by event with named arguments: a translation is one more catalogue,
 * not a code change. English is the only one today (devices do not report a language yet).
 */
const EN: Catalogue = {
  contact_added: ({ name }) => ({ title: 'New contact', body: `${name} added you as a contact.` }),
  new_login: ({ device, time }) => ({
    title: 'New login to your account',
    body: `${device}, ${time}. If this wasn't you, change your password.`,
  }),
  password_changed: () => ({
    title: 'Password changed',
    body: "Your Unichat password was changed. If this wasn't you, reset it now.",
  }),
  password_reset: () => ({
    title: 'Password reset',
    body: "Your Unichat password was reset and every session ended. If this wasn't you, reset it again now.",
  }),
  mfa_enabled: () => ({
    title: 'Two-step login turned on',
    body: "Logging in to Unichat now also asks for a code from your authenticator app. If this wasn't you, reset your password now.",
  }),
  mfa_disabled: () => ({
    title: 'Two-step login turned off',
    body: "Logging in to Unichat no longer asks for a code. If this wasn't you, reset your password now.",
  }),
  recovery_code_used: ({ left }) => ({
    title: 'Recovery code used',
    body: `A recovery code was used to log in to Unichat; ${left} left. If this wasn't you, reset your password now.`,
  }),
  // No passkey name: whoever added the passkey chose it (see describeUserAgent).
  passkey_added: () => ({
    title: 'Passkey added',
    body: "A passkey that signs in to Unichat was added to your account. If this wasn't you, remove it and reset your password now.",
  }),
  passkey_removed: () => ({
    title: 'Passkey removed',
    body: "A passkey was removed from your Unichat account. If this wasn't you, reset your password now.",
  }),
  test_push: () => ({ title: 'Unichat', body: 'Test notification: push works on this device.' }),
};

const CATALOGUES: Record<string, Catalogue> = { en: EN };

function message<E extends PushEvent>(
  event: E,
  userId: number,
  args: MessageArgs[E],
  locale = 'en',
): PushMessage {
  const catalogue = CATALOGUES[locale] ?? EN;
  return { event, userId, ...catalogue[event](args), collapseId: null, dedupe: false };
}

export const pushMessages = {
  contactAdded(adder: { id: number; nick: string | null }): PushMessage {
    return {
      ...message('contact_added', adder.id, { name: adder.nick ?? 'Someone' }),
      collapseId: `contact_added:${adder.id}`,
      dedupe: true,
    };
  },
  newLogin(userId: number, userAgent: string | null, at: Date): PushMessage {
    return message('new_login', userId, { device: describeUserAgent(userAgent), time: formatTime(at) });
  },
  passwordChanged(userId: number, via: 'update' | 'reset'): PushMessage {
    return via === 'reset' ? message('password_reset', userId, {}) : message('password_changed', userId, {});
  },
  /**
   * Two-step login turned on or off, a recovery code used, a passkey added or removed
   * (`mfa.changed`); null: no push for it.
   */
  secondFactor(userId: number, notice: SecondFactorNotice): PushMessage | null {
    switch (notice.change) {
      case 'totp_enabled':
        return message('mfa_enabled', userId, {});
      case 'totp_disabled':
        return message('mfa_disabled', userId, {});
      case 'recovery_code_used':
        return message('recovery_code_used', userId, { left: notice.recoveryCodesLeft });
      case 'passkey_added':
      case 'passkey_removed':
        return message(notice.change, userId, {});
      case 'recovery_codes_renewed':
        return null;
    }
  },
  test(userId: number): PushMessage {
    return message('test_push', userId, {});
  },
};

/** "2025-11-23 10:14 UTC": the server does not know the phone's time zone. */
export function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\/|\bChrome\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bUnichat\b/i, 'Unichat app'],
  [/\bcurl\//, 'curl'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * "Chrome on macOS" from a User-Agent header. Only names from these lists reach the push: the
 * header is chosen by whoever logged in, and must not put words of their own on the owner's phone.
 */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}
