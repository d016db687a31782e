import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { type AppConfig } from '../config/app-config.js';
import { ensureOwnerOnlyDir, OWNER_ONLY_FILE } from '../config/data-dir.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Hands one mail to its destination; rejects when it could not be delivered now. */
export interface MailTransport {
  readonly description: string;
  send(message: MailMessage, sentAt: Date): Promise<void>;
  close(): void;
}

// Each part goes out as 8bit, built by hand: nodemailer would choose quoted-printable for any
// line over 76 characters, folding the links, and the promise is that a developer can copy a
// link whole out of the .eml file. Our templates keep lines far below SMTP's 998 limit.
const part = (contentType: string, content: string) => ({
  raw: `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${content.replace(/\r?\n/g, '\r\n')}`,
});

function compose(from: string, message: MailMessage) {
  return {
    from,
    to: message.to,
    subject: message.subject,
    alternatives: [part('text/plain', message.text), part('text/html', message.html)],
  };
}

/** Development transport: each mail becomes `DATA_DIR/mail/<time>-<to>.eml`. */
export class FileMailTransport implements MailTransport {
  private readonly composer: Transporter;
  readonly description: string;

  constructor(
    private readonly directory: string,
    private readonly from: string,
  ) {
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    this.description = `files in ${directory}`;
  }

  async send(message: MailMessage, sentAt: Date): Promise<void> {
    const info = (await this.composer.sendMail(compose(this.from, message))) as { message: Buffer };
    // Mails hold working links: the folder and each file are the service user's only.
    ensureOwnerOnlyDir(this.directory);
    const stamp = sentAt.toISOString().replace(/[:.]/g, '-');
    const safeTo = message.to.replace(/[^\w.@+-]/g, '_');
    for (let n = 1; ; n += 1) {
      const name = `${stamp}-${safeTo}${n === 1 ? '' : `-${n}`}.eml`;
      try {
        await writeFile(join(this.directory, name), info.message, { flag: 'wx', mode: OWNER_ONLY_FILE });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  close(): void {
    this.composer.close();
  }
}

/** Production transport: SMTP through nodemailer, pooled. */
export class SmtpMailTransport implements MailTransport {
  private readonly transporter: Transporter;
  readonly description: string;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    const url = new URL(smtpUrl);
    url.searchParams.set('connectionTimeout', '10000');
    url.searchParams.set('greetingTimeout', '10000');
    url.searchParams.set('socketTimeout', '30000');
    this.transporter = nodemailer.createTransport(url.toString());
    this.description = `SMTP ${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`;
  }

  async send(message: MailMessage): Promise<void> {
    await this.transporter.sendMail(compose(this.from, message));
  }

  close(): void {
    this.transporter.close();
  }
}

export function createMailTransport(config: AppConfig): MailTransport {
  return config.smtpUrl
    ? new SmtpMailTransport(config.smtpUrl, config.mailFrom)
    : new FileMailTransport(join(config.dataDir, 'mail'), config.mailFrom);
}
