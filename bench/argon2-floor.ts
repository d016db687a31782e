// The floor of the login scenario (`node dist/bench/argon2-floor.js <seconds>`), in a process of
// its own on the same cores: argon2id verifications per second with the service's parameters and
// as many at once as the service runs (one per core), nothing else. Prints one JSON line.
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import argon2 from 'argon2';
import { ARGON2_OPTIONS, CONCURRENT_HASHES } from '../src/auth/password-hasher.service.js';

export interface Argon2Floor {
  hashesPerSecond: number;
  hashes: number;
  seconds: number;
  concurrency: number;
  /** Milliseconds of one verification, median. */
  p50Ms: number;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const password = 'Correct-horse-42';
  const hash = await argon2.hash(password, ARGON2_OPTIONS);
  await argon2.verify(hash, password);
  const times: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (!(await argon2.verify(hash, password))) throw new Error('argon2 refused its own hash');
      times.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_HASHES }, worker));
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const floor: Argon2Floor = {
    hashesPerSecond: Math.round((times.length / elapsed) * 10) / 10,
    hashes: times.length,
    seconds: Math.round(elapsed * 100) / 100,
    concurrency: CONCURRENT_HASHES,
    p50Ms: Math.round(times[Math.floor(times.length / 2)] * 10) / 10,
  };
  console.log(JSON.stringify(floor));
}

if (process.argv[1]?.endsWith('argon2-floor.js')) void main();
