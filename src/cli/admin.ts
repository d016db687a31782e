#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { AppError } from '../common/errors.js';
import { ConfigError } from '../config/app-config.js';
import { serviceKeysCommand } from './service-keys.command.js';
import { signingKeysCommand } from './signing-keys.command.js';
import { usersCommand } from './users.command.js';
import { webhooksCommand } from './webhooks.command.js';

/**
 * The operator's CLI (`npm run admin -- <group> <command>`), against the database the service's
 * configuration names. One file per command group (`<group>.command.ts`), added here.
 */
const program = new Command('admin')
  .description('Unichat operator tools, against the configured database')
  .showHelpAfterError()
  .addCommand(serviceKeysCommand())
  .addCommand(signingKeysCommand())
  .addCommand(usersCommand())
  .addCommand(webhooksCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const known = error instanceof AppError || error instanceof ConfigError;
  process.stderr.write(`error: ${known ? error.message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
}
