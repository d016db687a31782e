import { isIP } from 'node:net';
import { AppError } from '../common/errors.js';
import { isPublicAddress } from '../common/public-address.js';

/**
 * An endpoint URL as stored: `https://` and not a private, loopback or reserved address, unless
 * the operator allowed those (WEBHOOK_ALLOW_PRIVATE: tests, a private network). A host name is
 * checked again on the addresses it resolves to at every connection (see WebhookSender).
 */
export function endpointUrl(value: string, allowPrivate: boolean): string {
  if (!URL.canParse(value)) throw new AppError('invalid_params', 'url must be an absolute URL');
  const url = new URL(value);
  const allowed = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) {
    throw new AppError('invalid_params', 'webhook URLs must be https://');
  }
  if (url.username || url.password)
    throw new AppError('invalid_params', 'webhook URLs may not hold credentials');
  if (!allowPrivate && !isPublicHost(url.hostname)) {
    throw new AppError('invalid_params', 'webhook URLs may not lead to a private or reserved address');
  }
  return url.href;
}

/** False for an address that is not public and for localhost names; a host name is looked at when connecting. */
export function isPublicHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host)) return isPublicAddress(host);
  return host !== 'localhost' && !host.endsWith('.localhost');
}
