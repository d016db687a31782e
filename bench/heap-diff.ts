// What a heap grew by between two snapshots, by kind of object: `node dist/bench/heap-diff.js
// <before.heapsnapshot> <after.heapsnapshot> [divisor]` prints the bytes (self size) and counts
// that were added, largest first, each divided by `divisor` (the streams opened in between, say).
// The bench writes such a pair with --heap-snapshots (idle-before / idle-after).
import { readFileSync } from 'node:fs';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  kind: string;
  bytes: number;
  count: number;
}

/** Bytes and counts by kind: an object by its constructor, a closure by its function, a string as one kind. */
export function heapByKind(file: string): Map<string, HeapGroup> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let index = 0; index < heap.nodes.length; index += width) {
    const type = types[heap.nodes[index + typeAt]];
    const name = heap.strings[heap.nodes[index + nameAt]];
    const kind = type.endsWith('string')
      ? '(strings)'
      : type === 'object' || type === 'closure' || type === 'hidden' || type === 'native'
        ? `${type} ${name.slice(0, 60)}`
        : `(${type})`;
    const group = groups.get(kind) ?? { kind, bytes: 0, count: 0 };
    group.bytes += heap.nodes[index + sizeAt];
    group.count += 1;
    groups.set(kind, group);
  }
  return groups;
}

/** The kinds that grew from `before` to `after`, per `divisor`, largest first. */
export function heapGrowth(before: string, after: string, divisor = 1, top = 40): HeapGroup[] {
  const first = heapByKind(before);
  const grown: HeapGroup[] = [];
  for (const [kind, group] of heapByKind(after)) {
    const old = first.get(kind) ?? { bytes: 0, count: 0 };
    const bytes = (group.bytes - old.bytes) / divisor;
    if (bytes > 0) grown.push({ kind, bytes, count: (group.count - old.count) / divisor });
  }
  return grown.sort((a, b) => b.bytes - a.bytes).slice(0, top);
}

if (process.argv[1]?.endsWith('heap-diff.js')) {
  const [before, after, divisor] = process.argv.slice(2);
  if (!before || !after) {
    console.error('usage: node dist/bench/heap-diff.js <before.heapsnapshot> <after.heapsnapshot> [divisor]');
    process.exit(2);
  }
  const groups = heapGrowth(before, after, divisor ? Number(divisor) : 1);
  const total = groups.reduce((sum, group) => sum + group.bytes, 0);
  console.log(`grown by ${Math.round(total)} bytes${divisor ? ` each of ${divisor}` : ''} (top kinds):`);
  for (const group of groups) {
    console.log(
      `${Math.round(group.bytes).toString().padStart(8)} B ${group.count.toFixed(2).padStart(7)} × ${group.kind}`,
    );
  }
}
