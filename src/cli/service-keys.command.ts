import { Command } from 'commander';
import { CLI_OPERATOR } from '../service-keys/operator.js';
import { ServiceKeysModule } from '../service-keys/service-keys.module.js';
import { ServiceKeysService } from '../service-keys/service-keys.service.js';
import { withModules } from './cli-context.js';
import { parseId, printTable } from './output.js';

/** `admin service-keys create|list|revoke`: the keys other backends call us with. */
export function serviceKeysCommand(): Command {
  const group = new Command('service-keys').description(
    'keys other backends call service and admin routes with',
  );
  const run = <T>(work: (keys: ServiceKeysService) => Promise<T>) =>
    withModules([ServiceKeysModule], (context) => work(context.get(ServiceKeysService)));

  group
    .command('create')
    .description('make a key; it is printed once, alone on its own line')
    .requiredOption('--name <name>', 'who uses the key, e.g. messages')
    .requiredOption('--scopes <list>', 'comma list of users:read, relations:read, tokens:introspect, admin')
    .action(async (options: { name: string; scopes: string }) => {
      const { key, record } = await run((keys) =>
        keys.create(options.name, options.scopes.split(','), CLI_OPERATOR),
      );
      process.stderr.write(
        `service key ${record.id} "${record.name}" (${record.scopes.join(', ')}); keep it now, it is not shown again:\n`,
      );
      process.stdout.write(`${key}\n`);
    });

  group
    .command('list')
    .description('every key with its scopes and last use (never the key)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const records = await run((keys) => keys.list());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      printTable(
        ['id', 'name', 'scopes', 'created_at', 'last_used_at', 'revoked_at'],
        records.map((r) => [r.id, r.name, r.scopes.join(','), r.created_at, r.last_used_at, r.revoked_at]),
      );
    });

  group
    .command('revoke')
    .description('revoke a key at once')
    .argument('<id>', 'the key id (see list)')
    .action(async (id: string) => {
      const record = await run((keys) => keys.revoke(parseId(id), CLI_OPERATOR));
      process.stdout.write(`revoked service key ${record.id} "${record.name}" at ${record.revoked_at}\n`);
    });

  return group;
}
