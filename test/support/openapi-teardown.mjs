// Jest's global teardown: prints how many answers the run checked against the API document.
import { readFileSync, rmSync } from 'node:fs';

export default function teardown() {
  const file = process.env.OPENAPI_VALIDATED_FILE;
  if (!file) return;
  const counts = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  rmSync(file, { force: true });
  const total = counts.reduce((sum, count) => sum + count, 0);
  console.log(`\nOpenAPI: ${total} responses from ${counts.length} test files validated against the API document`);
}
