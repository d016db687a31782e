import { type ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in a `bigint` column: one migration serves SQLite and
 * PostgreSQL, comparisons are plain integer comparisons, and no time zone setting can shift them.
 */
export const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: string | number | null) =>
    value === null || value === undefined ? null : new Date(Number(value)),
};

export const timeColumn = { type: 'bigint', transformer: epochMs } as const;
