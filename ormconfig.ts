import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { keepJwtSecret } from './src/config/kept-jwt-secret.js';
import { dataSourceOptions } from './src/database/data-source-options.js';

// The TypeORM CLI's data source (npm run migration:run / migration:generate): the app's own
// options, from the same environment variables (and the kept master secret, which a migration
// seals with).
export default new DataSource(dataSourceOptions(keepJwtSecret(loadConfig()).config));
