import { Command, InvalidArgumentError } from 'commander';
import { AppError } from '../common/errors.js';
import { parseId as parseDecimalId } from '../common/ids.js';
import { CLI_OPERATOR } from '../service-keys/operator.js';
import { WebhookEndpointsModule } from '../webhooks/webhook-endpoints.module.js';
import { type EndpointChanges, WebhooksService } from '../webhooks/webhooks.service.js';
import { withModules } from './cli-context.js';
import { parseId, printTable } from './output.js';

/**
 * `admin webhooks create|list|update|delete|rotate|test|deliveries`: the endpoints that receive our
 * events. The running service sends what these queue (a test event, the next changes). Each change
 * is an audit line (on stderr) naming the operator `cli`.
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
        webhooks.create(
          {
            url: options.url,
            event_types: eventTypes(options.events),
            description: options.description,
          },
          CLI_OPERATOR,
        ),
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
    .command('update')
    .description('change the URL, the event types or the description; enable or disable the endpoint')
    .argument('<id>', 'the endpoint id (see list)')
    .option('--url <url>', 'a new https:// URL')
    .option('--events <list>', 'the new comma list of event types')
    .option('--description <text>', 'a new note for operators')
    .option('--enable', 'enable a disabled endpoint (its failing time forgotten)')
    .option('--disable', 'disable the endpoint: nothing more is sent to it')
    .option('--json', 'print the endpoint as JSON')
    .action(
      async (
        id: string,
        options: {
          url?: string;
          events?: string;
          description?: string;
          enable?: boolean;
          disable?: boolean;
          json?: boolean;
        },
      ) => {
        if (options.enable && options.disable) {
          throw new AppError('invalid_params', '--enable or --disable, not both');
        }
        const changes: EndpointChanges = {
          url: options.url,
          event_types: options.events === undefined ? undefined : eventTypes(options.events),
          description: options.description,
          enabled: options.enable ? true : options.disable ? false : undefined,
        };
        if (Object.values(changes).every((value) => value === undefined)) {
          throw new AppError(
            'invalid_params',
            'say what changes: --url, --events, --description, --enable or --disable',
          );
        }
        const endpoint = await run((webhooks) => webhooks.update(parseId(id), changes, CLI_OPERATOR));
        if (options.json) {
          process.stdout.write(`${JSON.stringify(endpoint, null, 2)}\n`);
          return;
        }
        const state = endpoint.enabled ? 'enabled' : `disabled (${endpoint.disabled_reason})`;
        process.stdout.write(
          `updated webhook endpoint ${endpoint.id}: ${endpoint.url} ${endpoint.event_types.join(',')} ${state}\n`,
        );
      },
    );

  group
    .command('delete')
    .description('remove an endpoint and its deliveries')
    .argument('<id>', 'the endpoint id (see list)')
    .action(async (id: string) => {
      await run((webhooks) => webhooks.remove(parseId(id), CLI_OPERATOR));
      process.stdout.write(`deleted webhook endpoint ${id}\n`);
    });

  group
    .command('rotate')
    .description('a new signing secret, printed once; the old one also signs for 24 hours')
    .argument('<id>', 'the endpoint id (see list)')
    .action(async (id: string) => {
      const { endpoint, secret } = await run((webhooks) => webhooks.rotateSecret(parseId(id), CLI_OPERATOR));
      printSecret(endpoint.id, secret);
    });

  group
    .command('test')
    .description('queue a webhook.test event for the endpoint (the running service sends it)')
    .argument('<id>', 'the endpoint id (see list)')
    .action(async (id: string) => {
      const delivery = await run((webhooks) => webhooks.sendTest(parseId(id), CLI_OPERATOR));
      process.stdout.write(`queued ${delivery.message_id} for webhook endpoint ${id}\n`);
    });

  group
    .command('deliveries')
    .description('the latest deliveries to the endpoint, newest first, with status and times')
    .argument('<id>', 'the endpoint id (see list)')
    .option('--limit <n>', 'how many, 1 to 100', deliveriesLimit, 50)
    .option('--json', 'print JSON')
    .action(async (id: string, options: { limit: number; json?: boolean }) => {
      const deliveries = await run((webhooks) => webhooks.recentDeliveries(parseId(id), options.limit));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(deliveries, null, 2)}\n`);
        return;
      }
      printTable(
        [
          'message_id',
          'event_type',
          'status',
          'attempts',
          'last_status_code',
          'created_at',
          'last_attempt_at',
          'next_attempt_at',
          'delivered_at',
        ],
        deliveries.map((d) => [
          d.message_id,
          d.event_type,
          d.status,
          d.attempts,
          d.last_status_code,
          d.created_at,
          d.last_attempt_at,
          d.next_attempt_at,
          d.delivered_at,
        ]),
      );
    });

  return group;
}

function eventTypes(list: string): string[] {
  return list.split(',').map((type) => type.trim());
}

function deliveriesLimit(raw: string): number {
  const limit = parseDecimalId(raw);
  if (limit === null || limit > 100) throw new InvalidArgumentError('1 to 100');
  return limit;
}
