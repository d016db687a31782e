import { InvalidArgumentError } from 'commander';
import { parseId as parseDecimalId } from '../common/ids.js';

/** A positive id given on the command line (decimal digits only, as in the API). */
export function parseId(raw: string): number {
  const id = parseDecimalId(raw);
  if (id === null) throw new InvalidArgumentError(`not an id: ${raw}`);
  return id;
}

/** Rows as aligned columns on stdout; null prints as `-`. */
export function printTable(header: string[], rows: (string | number | null)[][]): void {
  const cells = [header, ...rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}
