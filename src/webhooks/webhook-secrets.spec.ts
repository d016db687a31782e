import { Webhook } from 'standardwebhooks';
import { newSecret, WebhookSigner } from './webhook-secrets.js';

describe('WebhookSigner', () => {
  const body = Buffer.from(
    JSON.stringify({ type: 'user.updated', data: { user: { id: 7, nick: 'Zoë "x"' } } }),
  );
  const sentAt = new Date('2026-12-06T14:00:00.987Z');

  it('signs exactly as the standardwebhooks package does', () => {
    const secret = newSecret();
    expect(new WebhookSigner(secret).sign('msg_1', sentAt, body)).toBe(
      new Webhook(secret).sign('msg_1', sentAt, body),
    );
  });

  it('signs what the package verifies, and nothing else', () => {
    const secret = newSecret();
    const signature = new WebhookSigner(secret).sign('msg_2', new Date(), body);
    const headers = (id: string) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': signature,
    });
    expect(new Webhook(secret).verify(body.toString(), headers('msg_2'))).toEqual(
      JSON.parse(body.toString()),
    );
    expect(() => new Webhook(secret).verify(body.toString(), headers('msg_3'))).toThrow();
    expect(() => new Webhook(newSecret()).verify(body.toString(), headers('msg_2'))).toThrow();
  });

  it('refuses an empty secret', () => {
    expect(() => new WebhookSigner('whsec_')).toThrow();
  });
});
