import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

type Level = 'log' | 'warn' | 'error';

/** A line the application logged through Nest's Logger. */
export interface LogLine {
  level: Level;
  context: string | undefined;
  text: string;
}

/**
 * Every line the application logs through Nest's Logger from now on (until `restore`), in order:
 * `lines()` with level and context, `texts(level?)` as plain text.
 */
export function captureLogs() {
  const spies = (['log', 'warn', 'error'] as const).map((level) => ({
    level,
    spy: jest.spyOn(Logger.prototype, level),
  }));
  const lines = (): LogLine[] =>
    spies
      .flatMap(({ level, spy }) =>
        spy.mock.calls.map((args, index) => ({
          order: spy.mock.invocationCallOrder[index],
          level,
          context: (spy.mock.contexts[index] as { context?: string } | undefined)?.context,
          text: args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '),
        })),
      )
      .sort((a, b) => a.order - b.order)
      .map(({ order: _order, ...line }) => line);
  return {
    lines,
    texts: (level?: Level): string[] =>
      lines()
        .filter((line) => level === undefined || line.level === level)
        .map((line) => line.text),
    restore: () => spies.forEach(({ spy }) => spy.mockRestore()),
  };
}
