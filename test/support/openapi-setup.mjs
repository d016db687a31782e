// Jest's global set-up: each test file adds the number of answers it checked against the API
// document to this file (test/support/openapi-validator.ts); openapi-teardown.mjs prints the sum.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  const file = join(tmpdir(), `unichat-openapi-validated-${process.pid}.txt`);
  writeFileSync(file, '');
  process.env.OPENAPI_VALIDATED_FILE = file;
}
