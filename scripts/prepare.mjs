// `npm ci` builds dist/ once. An install without dev dependencies (`npm ci --omit=dev`, or with
// NODE_ENV=production, for an image that ships an already built dist/) lacks the type packages
// the build needs: it skips the build instead of failing.
import { spawnSync } from 'node:child_process';

const omitted = (process.env.npm_config_omit ?? '').split(/[\s,]+/);
if (omitted.includes('dev') || process.env.NODE_ENV === 'production') {
  console.log(
    'prepare: dev dependencies omitted, so dist/ is not built here (build it before: npm run build)',
  );
  process.exit(0);
}
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
