import { type PasskeyChange, type SecondFactorNotice, type TotpChange } from '../bus/domain-events.js';
import { type MailMessage } from './mail.transport.js';

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  );

/**
 * A mail with one action link, as plain text and HTML. The link stands alone on its own line in
 * the text part, so it can be copied whole.
 */
export function linkMail(input: {
  to: string;
  subject: string;
  intro: string;
  action: string;
  link: string;
  outro: string;
}): MailMessage {
  const text = `${input.intro}\n\n${input.action}:\n${input.link}\n\n${input.outro}\n\n-- Unichat\n`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(input.intro)}</p>`,
    `<p><a href="${escapeHtml(input.link)}">${escapeHtml(input.action)}</a></p>`,
    `<p style="color:#666">${escapeHtml(input.outro)}</p>`,
    '<p>-- Unichat</p></body></html>',
  ].join('\n');
  return { to: input.to, subject: input.subject, text, html };
}

/** A mail that only tells something (no link). */
export function noticeMail(input: { to: string; subject: string; body: string }): MailMessage {
  return {
    to: input.to,
    subject: input.subject,
    text: `${input.body}\n\n-- Unichat\n`,
    html: `<!doctype html><html><body style="font-family:sans-serif"><p>${escapeHtml(input.body)}</p><p>-- Unichat</p></body></html>`,
  };
}

/** The link that confirms an address: at registration, on resend, and for a new address. */
export function confirmationMail(to: string, link: string): MailMessage {
  return linkMail({
    to,
    subject: 'Confirm your email address for Unichat',
    intro: `Please confirm that ${to} is your address on Unichat.`,
    action: 'Confirm my email address',
    link,
    outro: 'The link works for 48 hours. If you did not ask for this, ignore this mail.',
  });
}

export function passwordResetMail(to: string, link: string): MailMessage {
  return linkMail({
    to,
    subject: 'Reset your Unichat password',
    intro: 'Somebody (we hope you) asked to reset the password of your Unichat account.',
    action: 'Choose a new password',
    link,
    outro:
      'The link works once, for one hour. If you did not ask for this, ignore this mail: nothing changes.',
  });
}

/** To the address in force, when a change to `newEmail` was asked for. */
export function emailChangingMail(to: string, newEmail: string): MailMessage {
  return noticeMail({
    to,
    subject: 'Your Unichat email address is changing',
    body: `Somebody (we hope you) asked to change the address of your Unichat account to ${newEmail}. It changes once the new address is confirmed; until then this address stays in force. If this was not you, change your password now.`,
  });
}

const TOTP_NOTICES: Record<TotpChange, (left: number) => { subject: string; body: string }> = {
  totp_enabled: () => ({
    subject: 'Two-step login is on for your Unichat account',
    body: 'Logging in to your Unichat account with its password now also asks for a code from your authenticator app. Keep your recovery codes somewhere safe. If this was not you, reset your password now.',
  }),
  totp_disabled: () => ({
    subject: 'Two-step login is off for your Unichat account',
    body: 'Logging in to your Unichat account no longer asks for a code from an authenticator app. If this was not you, reset your password now and turn two-step login on again.',
  }),
  recovery_code_used: (left) => ({
    subject: 'A recovery code was used for your Unichat account',
    body: `A recovery code was used to log in to your Unichat account (or to change its two-step login); ${left} unused code(s) left. If this was not you, reset your password now.`,
  }),
  recovery_codes_renewed: () => ({
    subject: 'New recovery codes for your Unichat account',
    body: 'New recovery codes were made for your Unichat account; the earlier ones no longer work. If this was not you, reset your password now.',
  }),
};

// The name is quoted: the owner chose it, or whoever added the passkey did, and it should read as
// a name, not as our words.
const PASSKEY_NOTICES: Record<PasskeyChange, (name: string) => { subject: string; body: string }> = {
  passkey_added: (name) => ({
    subject: 'A passkey was added to your Unichat account',
    body: `A passkey named "${name}" was added to your Unichat account: it signs in without the password. If this was not you, remove it in your account settings and reset your password now.`,
  }),
  passkey_removed: (name) => ({
    subject: 'A passkey was removed from your Unichat account',
    body: `The passkey named "${name}" was removed from your Unichat account: it no longer signs in. If this was not you, reset your password now and check the passkeys left.`,
  }),
};

/** A change to the account's two-step login or passkeys, told to its address. */
export function secondFactorMail(to: string, notice: SecondFactorNotice): MailMessage {
  const text =
    'passkey' in notice
      ? PASSKEY_NOTICES[notice.change](notice.passkey.name)
      : TOTP_NOTICES[notice.change](notice.recoveryCodesLeft);
  return noticeMail({ to, ...text });
}

export function accountDeletedMail(to: string): MailMessage {
  return noticeMail({
    to,
    subject: 'Your Unichat account is deleted',
    body:
      'Your Unichat account and everything it held (profile, avatar, contacts, blocks, devices and ' +
      'sessions) have been deleted, as you asked. This address and your nick are free again. A record ' +
      'of the account’s security events is kept 90 days, with network addresses replaced by a ' +
      'one-way code, and then removed.',
  });
}
