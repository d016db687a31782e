import { Command } from 'commander';
import { CLI_OPERATOR } from '../service-keys/operator.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { withModules } from './cli-context.js';
import { printTable } from './output.js';

/** `admin signing-keys list|rotate`: the keys access tokens are signed with. */
export function signingKeysCommand(): Command {
  const group = new Command('signing-keys').description('the ES256 keys access tokens are signed with');
  const run = <T>(work: (keys: SigningKeysService) => Promise<T>) =>
    withModules([SigningKeysModule], (context) => work(context.get(SigningKeysService)));

  group
    .command('list')
    .description('every key with its state (next, signing, retired, expired)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const records = await run((keys) => keys.list());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      printTable(
        ['kid', 'state', 'created_at', 'activates_at', 'retired_at'],
        records.map((r) => [r.kid, r.state, r.created_at, r.activates_at, r.retired_at]),
      );
    });

  group
    .command('rotate')
    .description('publish the next key now; it signs after KEY_PUBLISH_DELAY')
    .action(async () => {
      const record = await run((keys) => keys.rotate(CLI_OPERATOR));
      process.stdout.write(`signing key ${record.kid} published; it signs from ${record.activates_at}\n`);
    });

  return group;
}
