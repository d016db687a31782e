// Jest runs in ESM mode (Nest 12 packages are ESM-only): see README, "Tests".
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.spec.json' }],
  },
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
    '<rootDir>/test/browser/**/*.spec.ts',
  ],
  // Blocking across instances, and a Redis connection gone silent, need Redis between instances:
  // those files run in the PostgreSQL + Redis run. The PostgreSQL outage runs whenever DATABASE_URL is set.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.REDIS_URL && process.env.DATABASE_URL
      ? []
      : ['cluster-blocking', 'cluster-silent-redis']),
    ...(process.env.DATABASE_URL ? [] : ['postgres-outage']),
  ],
  // Counts the answers checked against the API document and prints the sum (test/support/openapi-setup.mjs).
  globalSetup: '<rootDir>/test/support/openapi-setup.mjs',
  globalTeardown: '<rootDir>/test/support/openapi-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
};
