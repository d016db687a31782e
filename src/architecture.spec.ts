import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The dependency rules of docs/architecture.md, checked on the import lines of src/.
const SRC = resolve('src');

/** The folders under src/ that are infrastructure, not features: what common/ may import. */
const INFRASTRUCTURE = new Set(['common', 'config', 'bus', 'database', 'metrics', 'mail']);
/**
 * The files at the top of src/ that common/ may import: logging (the error filter redacts the URLs
 * it logs). Not the application's own wiring (app.module, api-contracts, hot-routes), which
 * names the features.
 */
const COMMON_MAY_IMPORT_AT_TOP = new Set(['logging.ts']);

/** What sse/ may import: infrastructure, and sessions (a stream belongs to a session). */
const SSE_MAY_IMPORT = new Set(['sse', 'common', 'config', 'bus', 'database', 'metrics', 'sessions']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * The top folder under src/ of each file a source file imports from src/, or for a file at the top
 * of src/ its name (`logging.ts`).
 */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const folders: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) {
    const target = relative(SRC, resolve(dirname(file), match[1]));
    if (target.startsWith('..')) continue;
    folders.push(target.includes('/') ? target.split('/')[0] : target.replace(/\.js$/, '.ts'));
  }
  return folders;
}

const folderOf = (file: string) => {
  const path = relative(SRC, file);
  return path.includes('/') ? path.split('/')[0] : '.';
};

describe('the dependency rules', () => {
  const files = sourceFiles(SRC);

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((file) => file.endsWith(join('sse', 'stream-hub.service.ts')))).toBe(true);
  });

  it('sse/ is transport: it imports no feature (sessions aside)', () => {
    const offending = files
      .filter((file) => folderOf(file) === 'sse')
      .flatMap((file) =>
        importedFolders(file)
          .filter((folder) => !SSE_MAY_IMPORT.has(folder))
          .map((folder) => `${relative(SRC, file)} imports ${folder}/`),
      );
    expect(offending).toEqual([]);
  });

  it('nothing imports fanout/ but the application module: it sits on top', () => {
    const offending = files
      .filter((file) => folderOf(file) !== 'fanout' && relative(SRC, file) !== 'app.module.ts')
      .filter((file) => importedFolders(file).includes('fanout'))
      .map((file) => relative(SRC, file));
    expect(offending).toEqual([]);
  });

  it('common/ is shared: it imports no feature (the API document reads the contracts it is given)', () => {
    const offending = files
      .filter((file) => folderOf(file) === 'common')
      .flatMap((file) =>
        importedFolders(file)
          .filter((folder) => !INFRASTRUCTURE.has(folder) && !COMMON_MAY_IMPORT_AT_TOP.has(folder))
          .map(
            (folder) => `${relative(SRC, file)} imports ${folder.endsWith('.ts') ? folder : `${folder}/`}`,
          ),
      );
    expect(offending).toEqual([]);
  });
});
