import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, release, totalmem } from 'node:os';

export type Verdict = 'pass' | 'FAIL' | 'report' | 'n/a' | 'ERROR';

/** One row of the table (one scenario, or one layer of baseline C). */
export interface Row {
  key: string;
  scenario: string;
  /** The headline number(s), formatted. */
  result: string;
  target: string;
  verdict: Verdict;
  details?: Record<string, unknown>;
}

export function row(
  key: string,
  scenario: string,
  result: string,
  target: string,
  verdict: Verdict,
  details?: Record<string, unknown>,
): Row {
  return { key, scenario, result, target, verdict, details };
}

export function notAvailable(key: string, scenario: string, target: string, why: string): Row {
  return row(key, scenario, `not available (${why})`, target, 'n/a');
}

export function failed(key: string, scenario: string, target: string, error: unknown): Row {
  const message = error instanceof Error ? error.message : String(error);
  return row(key, scenario, `error: ${message.split('\n')[0].slice(0, 160)}`, target, 'ERROR', {
    error: message,
  });
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const round2 = (value: number) => Math.round(value * 100) / 100;

/** A plain-text table: fixed-width columns, long cells wrap onto following lines. */
export function table(rows: Row[]): string {
  const headers = ['scenario', 'result', 'target', 'verdict'];
  const cells = rows.map((r) => [r.scenario, r.result, r.target, r.verdict]);
  const limits = [46, 70, 24, 7];
  const widths = headers.map((header, column) =>
    Math.min(limits[column], Math.max(header.length, ...cells.map((cell) => cell[column].length))),
  );
  const wrap = (text: string, width: number) => {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(' ')) {
      if (line && (line + ' ' + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
    return lines;
  };
  const render = (values: string[]) => {
    const wrapped = values.map((value, column) => wrap(value, widths[column]));
    const height = Math.max(...wrapped.map((lines) => lines.length));
    return Array.from(
      { length: height },
      (_, index) =>
        '| ' + wrapped.map((lines, column) => (lines[index] ?? '').padEnd(widths[column])).join(' | ') + ' |',
    ).join('\n');
  };
  const rule = '|' + widths.map((width) => '-'.repeat(width + 2)).join('|') + '|';
  return [render(headers), rule, ...cells.map(render)].join('\n');
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** What the numbers depend on: the machine, and the limits that bound how many streams fit. */
export function machineInfo() {
  const cpuList = cpus();
  const ulimit = spawnSync('sh', ['-c', 'ulimit -n; ulimit -Hn'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n');
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${release()}`,
    memoryMb: Math.round(totalmem() / 1048576),
    freeMemoryMb: Math.round(freemem() / 1048576),
    openFilesLimit: { soft: ulimit[0], hard: ulimit[1] },
    somaxconn: readProc('/proc/sys/net/core/somaxconn'),
    tcpMaxSynBacklog: readProc('/proc/sys/net/ipv4/tcp_max_syn_backlog'),
    ephemeralPorts: readProc('/proc/sys/net/ipv4/ip_local_port_range')?.replace(/\s+/, '-') ?? null,
    loadAverageAtStart: readProc('/proc/loadavg'),
  };
}
