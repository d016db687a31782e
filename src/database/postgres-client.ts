import pg from 'pg';

/**
 * A pool client that closes its connection when a query timed out. node-postgres answers the
 * caller with "Query read timeout" but keeps the connection with that query still pending on it:
 * given back to the pool, every later query on it would wait behind one that never ends (a
 * PostgreSQL that died and was replaced, a network that lost the connection). Closed, it leaves
 * the pool, and the next query opens a new connection, which works once PostgreSQL answers.
 */
export class TimeoutClosingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const result = (super.query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      result.catch((error: Error) => {
        if (error?.message === 'Query read timeout') {
          (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        }
      });
    }
    return result as never;
  }
}
