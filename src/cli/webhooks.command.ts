import { Command } from 'commander';
import { WebhookEndpointsModule } from '../webhooks/webhook-endpoints.module.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import { withModules } from './cli-context.js';
import { parseId, printTable } from './output.js';

/**
 * `admin webhooks create|list|delete|rotate|test`: the endpoints that receive our events. The
 * running service sends what these queue (a test event, the next changes).
 */
export function webhooksCommand(): Command {
  const group = new Command('webhooks').description(
    'endpoints that receive signed events (Standard Webhooks)',
  );
  const run = <T>(work: (webhooks: WebhooksService) => Promise<T>) =>
    withModules([WebhookEndpointsModule], (context) => work(context.get(WebhooksService)));
  const printSecret = (id: number, secret: string) => {
    process.stderr.write(`webhook endpoint ${id}; its signing secret, not shown again:\n`);
    process.stdout.write(`${secret}\n`);
  };

  group
    .command('create')
    .description('add an endpoint; its signing secret is printed once, alone on its own line')
    .requiredOption('--url <url>', 'https:// URL of a public address (WEBHOOK_ALLOW_PRIVATE allows others)')
    .requiredOption('--events <list>', 'comma list of event types, e.g. user.deleted,block.created')
    .option('--description <text>', 'a note for operators')
    .action(async (options: { url: string; events: string; description?: string }) => {
      const { endpoint, secret } = await run((webhooks) =>
        webhooks.create({
          url: options.url,
          event_types: options.events.split(',').map((type) => type.trim()),
          description: options.description,
        }),
      );
      printSecret(endpoint.id, secret);
    });

  group
    .command('list')
    .description('every endpoint with its events and state (never a secret)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const records = await run((webhooks) => webhooks.list());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      printTable(
        ['id', 'url', 'events', 'enabled', 'disabled_reason', 'failing_since'],
        records.map((r) => [
          r.id,
          r.url,
          r.event_types.join(','),
          String(r.enabled),
          r.disabled_reason,
          r.failing_since,
        ]),
      );
    });

  group
    .command('delete')
    .description('remove an endpoint and its deliveries')
    .argument('<id>', 'the endpoint id (see list)')
    .action(async (id: string) => {
      await run((webhooks) => webhooks.remove(parseId(id)));
      process.stdout.write(`deleted webhook endpoint ${id}\n`);
    });

  group
    .command('rotate')
    .description('a new signing secret, printed once; the old one also signs for 24 hours')
    .argument('<id>', 'the endpoint id (see list)')
    .action(async (id: string) => {
      const { endpoint, secret } = await run((webhooks) => webhooks.rotateSecret(parseId(id)));
      printSecret(endpoint.id, secret);
    });

  group
    .command('test')
    .description('queue a webhook.test event for the endpoint (the running service sends it)')
    .argument('<id>', 'the endpoint id (see list)')
    .action(async (id: string) => {
      const delivery = await run((webhooks) => webhooks.sendTest(parseId(id)));
      process.stdout.write(`queued ${delivery.message_id} for webhook endpoint ${id}\n`);
    });

  return group;
}
