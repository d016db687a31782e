// Where a CPU profile's time went: self time by package (or by our own module) and the hottest
// functions. `node dist/bench/profile-summary.js <file.cpuprofile>` prints it for any profile.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds sampled, idle excluded. */
  busyMs: number;
  idleShare: number;
  /** Share of busy time per package or module, largest first. */
  byPart: { part: string; share: number }[];
  /** Share of busy time with the package anywhere on the stack: what it costs with what it calls. */
  byPartInclusive: { part: string; share: number }[];
  hottest: { fn: string; at: string; share: number }[];
  /** Our own functions (src/) with the time spent in them and everything they called. */
  inclusive: { fn: string; at: string; share: number }[];
}

/** The package (`pino`, `@nestjs/core`), our module (`src/tokens`), node core, or a V8 category. */
function partOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const ours = /\/dist\/(src|bench)\/([^/]+)/.exec(url);
  if (ours) return ours[2].endsWith('.js') ? `${ours[1]}/${ours[2]}` : `${ours[1]}/${ours[2]}/`;
  return url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 14);
  return url.replace(/^.*\/dist\//, '').replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const frameKey = (frame: ProfileNode['callFrame']) =>
    `${frame.functionName || '(anonymous)'}\t${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`;
  let idle = 0;
  let busy = 0;
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const partsInclusive = new Map<string, number>();
  for (const [id, micros] of selfTime) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    // The stack from the root; the probe's own work (answering, stopping the profiler) is not the server's.
    const stack: ProfileNode['callFrame'][] = [];
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      stack.push((byId.get(node) as ProfileNode).callFrame);
    }
    if (stack.some((f) => f.url.includes('/bench/lag-probe'))) continue;
    busy += micros;
    const part = partOf(frame);
    parts.set(part, (parts.get(part) ?? 0) + micros);
    functions.set(frameKey(frame), (functions.get(frameKey(frame)) ?? 0) + micros);
    for (const key of new Set(stack.filter((f) => f.url).map(partOf))) {
      partsInclusive.set(key, (partsInclusive.get(key) ?? 0) + micros);
    }
    for (const key of new Set(stack.filter((f) => /\/dist\/src\//.test(f.url)).map(frameKey))) {
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  const share = (micros: number) => Math.round((micros / Math.max(busy, 1)) * 1000) / 10;
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, micros]) => {
        const [fn, at] = key.split('\t');
        return { fn, at, share: share(micros) };
      });
  return {
    file,
    busyMs: Math.round(busy / 1000),
    idleShare: Math.round((idle / Math.max(idle + busy, 1)) * 1000) / 10,
    byPart: [...parts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([part, micros]) => ({ part, share: share(micros) })),
    byPartInclusive: [...partsInclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top + 5)
      .map(([part, micros]) => ({ part, share: share(micros) })),
    hottest: ranked(functions),
    inclusive: ranked(inclusive),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = [
    `${summary.file}: ${summary.busyMs} ms busy, ${summary.idleShare}% idle`,
    '  self time by part: ' + summary.byPart.map((p) => `${p.part} ${p.share}%`).join(', '),
    '  on the stack (inclusive): ' + summary.byPartInclusive.map((p) => `${p.part} ${p.share}%`).join(', '),
    '  hottest functions:',
    ...summary.hottest.map((h) => `    ${String(h.share).padStart(5)}%  ${h.fn}  ${h.at}`),
    '  our functions, with what they call:',
    ...summary.inclusive.map((h) => `    ${String(h.share).padStart(5)}%  ${h.fn}  ${h.at}`),
  ];
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.js')) {
  for (const file of process.argv.slice(2)) console.log(formatSummary(summarizeProfile(file)));
}
