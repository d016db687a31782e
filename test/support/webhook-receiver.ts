import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** One POST the receiver got: the raw body and the Standard Webhooks headers. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

/**
 * A local HTTP server playing a webhook endpoint: records every POST and answers with what
 * `answer` says (200 unless told; `hold` keeps the request open until `release()`).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (hook: ReceivedWebhook, seen: number) => number | 'hold' = () => 200;
  private readonly held: ServerResponse[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/hooks'): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((request, response) => void receiver?.take(request, response));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    return receiver;
  }

  /** What arrived with this `webhook-id`. */
  withId(id: string): ReceivedWebhook[] {
    return this.received.filter((hook) => hook.id === id);
  }

  /** Deliveries of `type` whose data matches. */
  of(type: string, match: (data: Record<string, unknown>) => boolean = () => true): ReceivedWebhook[] {
    return this.received.filter((hook) => hook.event.type === type && match(hook.event.data));
  }

  /** Answers 200 to every request held so far. */
  release(): void {
    for (const response of this.held.splice(0)) response.writeHead(200).end();
  }

  async close(): Promise<void> {
    for (const response of this.held.splice(0)) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async take(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => String(request.headers[name] ?? '');
    const hook: ReceivedWebhook = {
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      body,
      event: JSON.parse(body) as ReceivedWebhook['event'],
    };
    this.received.push(hook);
    const answer = this.answer(hook, this.withId(hook.id).length);
    if (answer === 'hold') this.held.push(response);
    else response.writeHead(answer).end();
  }
}

/** Verifies a delivery as a receiver would, with the `standardwebhooks` package; throws when it fails. */
export function verify(secret: string, hook: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(hook.body, {
    'webhook-id': hook.id,
    'webhook-timestamp': hook.timestamp,
    'webhook-signature': hook.signature,
  });
}
