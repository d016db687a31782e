import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup.js';
import { ConfigError, loadConfig } from './config/app-config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const logger = new Logger('Main');
  if (config.jwtSecretGenerated) {
    logger.warn(
      'JWT_SECRET is not set: using a random one; access tokens end at restart and work on this instance only',
    );
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
