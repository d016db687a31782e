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
