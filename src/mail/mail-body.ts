import { SecretBox } from '../common/secret-box.js';

/**
 * The box a waiting mail's body is sealed in (AES-256-GCM under a key from the master secret):
 * its links carry working tokens, and neither a dump of the database nor SQLite's -wal file may
 * hold one. The outbox and the migration that sealed the bodies written before share it.
 */
export function mailBodyBox(masterSecret: string): SecretBox {
  return new SecretBox(masterSecret, 'mail body');
}
