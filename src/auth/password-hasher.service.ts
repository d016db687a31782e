import { availableParallelism } from 'node:os';
import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

// OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~25 ms here, on libuv's thread pool,
// so hashing never blocks the event loop.
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Hashes at once: one per core. libuv's four threads would otherwise all hash during a burst of
 * logins and, on two cores, starve every other request (docs/benchmarks.md has the figures).
 */
export const CONCURRENT_HASHES = availableParallelism();
/** New passwords (registrations, changes, resets) leave a core to checks, so logins never queue behind them. */
const CONCURRENT_NEW_HASHES = Math.max(1, CONCURRENT_HASHES - 1);

type Kind = 'check' | 'new';

/**
 * Runs argon2 on at most one job per core, checks first: a login's check waits for at most one
 * job to end, never behind a flood of registrations' new hashes.
 */
export class HashQueue {
  private running = 0;
  private runningNew = 0;
  private readonly waiting: Record<Kind, (() => void)[]> = { check: [], new: [] };

  constructor(
    private readonly slots: number,
    private readonly newSlots: number,
  ) {}

  run<T>(kind: Kind, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting[kind].push(() => {
        this.running += 1;
        if (kind === 'new') this.runningNew += 1;
        work()
          .then(resolve, reject)
          .finally(() => {
            this.running -= 1;
            if (kind === 'new') this.runningNew -= 1;
            this.next();
          });
      });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.slots) {
      const start =
        this.waiting.check.shift() ??
        (this.runningNew < this.newSlots ? this.waiting.new.shift() : undefined);
      if (!start) return;
      start();
    }
  }
}

@Injectable()
export class PasswordHasher {
  private readonly queue = new HashQueue(CONCURRENT_HASHES, CONCURRENT_NEW_HASHES);
  /** A hash of nothing anybody knows, verified when the email is unknown so timing tells nothing. */
  private readonly decoy = this.hash('decoy password nobody has');

  /** A new password's hash (registration, change, reset). */
  hash(password: string): Promise<string> {
    return this.queue.run('new', () => argon2.hash(password, ARGON2_OPTIONS));
  }

  /** Checks a password (login, current_password); goes before new passwords' hashes. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const stored = hash ?? (await this.decoy);
    try {
      return await this.queue.run('check', () => argon2.verify(stored, password));
    } catch {
      return false;
    }
  }
}
