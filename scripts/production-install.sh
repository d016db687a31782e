#!/usr/bin/env bash
# Proves the production install the README describes: the dist/ built here, with the package's
# files, installed elsewhere without dev dependencies (`npm ci --omit=dev`: its `prepare` step
# must not need TypeScript), passes `npm start`'s build step (`prestart`, which must run the dist/
# there is), starts and answers /health/ready. Run it after
# `npm ci` (which built dist/). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f dist/src/main.js || { echo "production-install: build first (npm ci or npm run build)" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# What an image gets: the tracked files and the built dist/, nothing of node_modules.
git ls-files -z | xargs -0 cp --parents -t "$work"
cp -r dist "$work/dist"
cd "$work"

echo "=== production install: npm ci --omit=dev ==="
npm ci --omit=dev --no-audit --no-fund
if [ -e node_modules/@types/express ]; then echo "production-install: a dev dependency was installed" >&2; exit 1; fi

port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
echo "=== production install: npm start's build step, then the service on port $port ==="
npm run prestart
# What `npm start` runs next, started here so that it is this script's child to stop.
env -u DATABASE_URL -u REDIS_URL PORT="$port" HOST=127.0.0.1 DATA_DIR="$work/data" LOG_LEVEL=warn \
  node dist/src/main.js &
pid=$!
for _ in $(seq 1 60); do
  if node -e "fetch('http://127.0.0.1:$port/health/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"; then
    echo "production install: ready"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "production-install: the service stopped" >&2; exit 1; fi
  sleep 1
done
echo "production-install: not ready after 60 s" >&2
exit 1
