import 'reflect-metadata';
import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createTestEnvironment } from '../../test/support/harness.js';
import { loadConfig } from '../config/app-config.js';
import { keepJwtSecret } from '../config/kept-jwt-secret.js';
import { dataSourceOptions } from './data-source-options.js';
import { TypeOrmLogger } from './typeorm-logger.js';

/** A root logger whose lines are kept, parsed. */
function recordingRoot() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { root: pino({ level: 'info' }, stream), lines };
}

describe('TypeORM lines in the service log', () => {
  const consoleWrites = () =>
    (['log', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation(() => {}),
    );
  afterEach(() => jest.restoreAllMocks());

  it('writes a pool error to the root logger with the error itself, not to the console', () => {
    const spies = consoleWrites();
    const { root, lines } = recordingRoot();
    new TypeOrmLogger(root).poolError(new Error('Connection terminated unexpectedly'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        context: 'Database',
        err: expect.objectContaining({ message: 'Connection terminated unexpectedly' }),
      }),
    ]);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('routes the errors of the real pool (PostgreSQL) or TypeORM’s warnings (SQLite) there', async () => {
    const spies = consoleWrites();
    const environment = await createTestEnvironment();
    const { config } = keepJwtSecret(loadConfig(environment.vars));
    const { root, lines } = recordingRoot();
    const dataSource = await new DataSource(dataSourceOptions(config, root)).initialize();
    try {
      const pool = (dataSource.driver as unknown as { master?: { emit(event: string, error: Error): void } })
        .master;
      if (dataSource.options.type === 'postgres') pool?.emit('error', new Error('terminating connection'));
      else dataSource.logger.log('warn', 'terminating connection');
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 40,
          context: 'Database',
          msg: expect.stringContaining('terminating connection'),
        }),
      );
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      await dataSource.destroy();
      await environment.dispose();
    }
  });
});
