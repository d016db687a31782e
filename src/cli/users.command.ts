import { Command, InvalidArgumentError } from 'commander';
import { AdminActionsService } from '../admin/admin-actions.service.js';
import { ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX, AdminUsersService } from '../admin/admin-users.service.js';
import { CLI_OPERATOR } from '../service-keys/operator.js';
import { AppError } from '../common/errors.js';
import { parseId as parseDecimalId } from '../common/ids.js';
import { MailService } from '../mail/mail.service.js';
import { withApplication } from './cli-context.js';
import { parseId, printTable } from './output.js';

interface Services {
  users: AdminUsersService;
  actions: AdminActionsService;
  mail: MailService;
}

/**
 * `admin users find|show|disable|enable|end-sessions|delete|confirm|send-reset`: the admin API's
 * users part for an operator with shell access. Runs inside the whole application (no HTTP), so
 * ended sessions and closed streams reach every instance over Redis; each action is recorded in
 * the user's activity and as an audit line (on stderr) naming the operator `cli`.
 */
export function usersCommand(): Command {
  const group = new Command('users').description('find, inspect, disable, enable and delete accounts');
  const run = <T>(work: (services: Services) => Promise<T>) =>
    withApplication((context) =>
      work({
        users: context.get(AdminUsersService),
        actions: context.get(AdminActionsService),
        mail: context.get(MailService),
      }),
    );

  group
    .command('find')
    .description('users by id (digits), email prefix (has an @, or --email) or nick prefix, a page at a time')
    .argument('<query>', 'an id, an email prefix or a nick prefix')
    .option('--email', 'read the query as an email prefix')
    .option('--nick', 'read the query as a nick prefix')
    .option('--limit <n>', `users per page, 1 to ${ADMIN_PAGE_MAX}`, pageSize, ADMIN_PAGE_DEFAULT)
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'print JSON')
    .action(
      async (
        query: string,
        options: { email?: boolean; nick?: boolean; limit: number; cursor?: string; json?: boolean },
      ) => {
        const page = await run(({ users }) =>
          users.search(searchOf(query, options), options.limit, options.cursor ?? null, CLI_OPERATOR),
        );
        if (options.json) {
          process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
          return;
        }
        printTable(
          ['id', 'email', 'nick', 'confirmed_at', 'disabled_at', 'created_at', 'last_login_at'],
          page.users.map((u) => [
            u.id,
            u.email,
            u.nick,
            u.confirmed_at,
            u.disabled_at,
            u.created_at,
            u.last_login_at,
          ]),
        );
        if (page.next_cursor) process.stderr.write(`more: --cursor ${page.next_cursor}\n`);
      },
    );

  group
    .command('show')
    .description('one user as JSON: private fields, disabled, last login, live sessions, devices')
    .argument('<id>', 'the user id', parseId)
    .action(async (userId: number) => {
      const details = await run(({ users }) => users.show(userId, CLI_OPERATOR));
      process.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
    });

  group
    .command('disable')
    .description('disable the account: every session and stream ends, logins answer account_disabled')
    .argument('<id>', 'the user id', parseId)
    .action(async (userId: number) => {
      await run(({ actions }) => actions.disable(userId, CLI_OPERATOR));
      process.stdout.write(`disabled user ${userId}; every session of it has ended\n`);
    });

  group
    .command('enable')
    .description('enable a disabled account: it may log in again')
    .argument('<id>', 'the user id', parseId)
    .action(async (userId: number) => {
      await run(({ actions }) => actions.enable(userId, CLI_OPERATOR));
      process.stdout.write(`enabled user ${userId}\n`);
    });

  group
    .command('end-sessions')
    .description('end every session of the user (streams close, access tokens stop working)')
    .argument('<id>', 'the user id', parseId)
    .action(async (userId: number) => {
      const ended = await run(({ actions }) => actions.endSessions(userId, CLI_OPERATOR));
      process.stdout.write(`ended ${ended} session(s) of user ${userId}\n`);
    });

  group
    .command('delete')
    .description('delete the account as DELETE /me does (everything of it goes); needs --yes')
    .argument('<id>', 'the user id', parseId)
    .option('--yes', 'yes, delete it: this cannot be undone')
    .action(async (userId: number, options: { yes?: boolean }) => {
      if (!options.yes) throw new AppError('invalid_params', 'deleting cannot be undone: add --yes');
      await run(({ actions }) => actions.delete(userId, CLI_OPERATOR));
      process.stdout.write(`deleted user ${userId}\n`);
    });

  group
    .command('confirm')
    .description("mark the account's email address confirmed")
    .argument('<id>', 'the user id', parseId)
    .action(async (userId: number) => {
      await run(({ actions }) => actions.confirm(userId, CLI_OPERATOR));
      process.stdout.write(`confirmed the address of user ${userId}\n`);
    });

  group
    .command('send-reset')
    .description('mail the user a password-reset link (one a minute)')
    .argument('<id>', 'the user id', parseId)
    .action(async (userId: number) => {
      await run(async ({ actions, mail }) => {
        await actions.sendPasswordReset(userId, CLI_OPERATOR);
        // Sent now rather than left to the service's next round (it may not be running).
        await mail.deliverDue();
      });
      process.stdout.write(`mailed a password-reset link to user ${userId}\n`);
    });

  return group;
}

function pageSize(raw: string): number {
  const size = parseDecimalId(raw);
  if (size === null || size > ADMIN_PAGE_MAX) throw new InvalidArgumentError(`1 to ${ADMIN_PAGE_MAX}`);
  return size;
}

/** What the query means: `--email`/`--nick` say; else digits are an id, an `@` an email prefix, the rest a nick prefix. */
function searchOf(query: string, options: { email?: boolean; nick?: boolean }) {
  if (options.email && options.nick) throw new AppError('invalid_params', '--email or --nick, not both');
  if (options.email || (!options.nick && query.includes('@'))) return { email: query };
  if (options.nick || !/^\d+$/.test(query)) return { nick: query };
  const id = parseDecimalId(query);
  if (id === null) throw new AppError('invalid_params', `not an id: ${query}`);
  return { id };
}
