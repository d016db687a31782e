// `npm ci` builds dist/ once (`prepare`), and `npm start` builds what changed (`prestart`). An
// install without dev dependencies (`npm ci --omit=dev`, NODE_ENV=production, or `npm prune
// --omit=dev` after a build) cannot build: TypeScript and @types/node may be there (a peer of
// @nestjs/swagger, a dependency of a dependency), but the other type packages the build needs,
// dev dependencies all, are not. Then nothing is built here, and `npm start`
// runs the dist/ that was built before. See the README's "Production install".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const omitted = (process.env.npm_config_omit ?? '').split(/[\s,]+/);
const withoutDev = omitted.includes('dev') || process.env.NODE_ENV === 'production';
const { devDependencies = {} } = JSON.parse(readFileSync('package.json', 'utf8'));
const buildNeeds = [
  'typescript',
  ...Object.keys(devDependencies).filter((name) => name.startsWith('@types/')),
];
let compiler = true;
try {
  const require = createRequire(import.meta.url);
  for (const name of buildNeeds) require.resolve(`${name}/package.json`);
} catch {
  compiler = false;
}

if (withoutDev || !compiler) {
  const built = existsSync('dist/src/main.js');
  const why = compiler ? 'dev dependencies omitted' : 'dev dependencies not installed (the build needs them)';
  if (built || process.env.npm_lifecycle_event === 'prepare') {
    console.log(
      `${process.env.npm_lifecycle_event ?? 'build'}: ${why}, so dist/ is not built here${built ? '; using the dist/ there is' : ' (build it before: npm ci && npm run build)'}`,
    );
    process.exit(0);
  }
  console.error(`start: ${why} and no dist/ to run: build it first (npm ci && npm run build)`);
  process.exit(1);
}
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
