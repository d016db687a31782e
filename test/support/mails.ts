import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ReceivedMail {
  file: string;
  to: string;
  subject: string;
  /** The whole .eml as written: headers, text part and HTML part. */
  raw: string;
  text: string;
}

/** Reads the .eml files the dev transport wrote, oldest first. */
export async function readMailFiles(mailDir: string): Promise<ReceivedMail[]> {
  let names: string[];
  try {
    names = (await readdir(mailDir)).filter((name) => name.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return Promise.all(names.map(async (name) => parseMail(name, await readFile(join(mailDir, name), 'utf8'))));
}

export function parseMail(file: string, original: string): ReceivedMail {
  const raw = original.replace(/\r\n/g, '\n');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';
  const textPart = /Content-Type: text\/plain[^\n]*\n(?:[^\n]+\n)*\n([\s\S]*?)\n-{2,}/.exec(raw)?.[1] ?? '';
  return { file, to: header('To'), subject: header('Subject'), raw, text: textPart };
}

/** The first link in a mail's text that contains `pathPart`. */
export function linkIn(mail: ReceivedMail, pathPart: string): string {
  const link = mail.text.match(/https?:\/\/\S+/g)?.find((url) => url.includes(pathPart));
  if (!link) throw new Error(`no link with ${pathPart} in mail "${mail.subject}" to ${mail.to}`);
  return link;
}
