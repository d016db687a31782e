import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { keepJwtSecret } from './config/kept-jwt-secret.js';

/**
 * Runs a step of the start; a bad setting it finds stops the service with one line naming it and
 * exit code 1, no stack trace: the operator has something to fix, the code has no bug. Besides
 * the variables, that covers what the modules read as they start (the VAPID keys kept in DATA_DIR).
 */
async function configured<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const start = await configured(() => keepJwtSecret(loadConfig()));
  const { config } = start;
  const app = await configured(() => createApp(config));
  const logger = new Logger('Main');
  if (start.jwtSecretFrom !== 'environment') {
    logger.log(
      `JWT_SECRET is not set: using the secret ${start.jwtSecretFrom === 'made now' ? 'made now and kept' : 'kept'} in ${start.jwtSecretFile}`,
    );
    if (config.database.kind === 'postgres') {
      logger.warn(
        'JWT_SECRET is not set while DATABASE_URL is: each instance keeps its own secret in its DATA_DIR, so its SSE codes work on it alone and an instance whose secret did not seal the signing keys cannot start; set the same JWT_SECRET on every instance',
      );
    }
  }
  if (config.trustProxy === true) {
    logger.warn(
      'TRUST_PROXY=true trusts every hop: a client can choose the address limits count by sending X-Forwarded-For; set the number of proxies or their addresses instead',
    );
  }
  await app.listen(config.port, config.host);
  logger.log(
    `Unichat listening on http://${config.host}:${config.port} (database: ${config.database.kind}, ` +
      `bus: ${config.redisUrl ? 'redis' : 'in-process'}); API docs at ${config.publicUrl}/api/docs`,
  );
}

void main();
