import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.setup.js';
import { API_CONTRACTS } from '../src/api-contracts.js';
import { buildApiDocument } from '../src/common/openapi/document.js';
import { loadConfig } from '../src/config/app-config.js';
import { keepJwtSecret } from '../src/config/kept-jwt-secret.js';

/**
 * Writes the OpenAPI document to the file named by the first argument (default openapi.json):
 * the app is built on a throw-away SQLite file and never listens.
 */
async function main(): Promise<void> {
  const target = process.argv[2] ?? 'openapi.json';
  const dataDir = await mkdtemp(join(tmpdir(), 'unichat-openapi-'));
  try {
    const { config } = keepJwtSecret(
      loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(48) }),
    );
    const app = await createApp(config);
    const document = buildApiDocument(app, API_CONTRACTS);
    await app.close();
    await writeFile(target, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${target}: ${Object.keys(document.paths).length} paths`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
