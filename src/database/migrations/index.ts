import { Initial1763900000000 } from './1763900000000-initial.js';
import { Profile1763900001000 } from './1763900001000-profile.js';
import { SseCodes1763900002000 } from './1763900002000-sse-codes.js';
import { Blocking1763900003000 } from './1763900003000-blocking.js';
import { Devices1763900004000 } from './1763900004000-devices.js';
import { QrLogin1763900005000 } from './1763900005000-qr-login.js';
import { EmailFoldKeys1763900030000 } from './1763900030000-email-fold-keys.js';
import { LastSeenVisibility1763900057000 } from './1763900057000-last-seen-visibility.js';
import { QrLoginDetails1763900058000 } from './1763900058000-qr-login-details.js';

/** Every migration, oldest first. Modules add theirs here (one file each, never edited once landed). */
export const MIGRATIONS = [
  Initial1763900000000,
  Profile1763900001000,
  SseCodes1763900002000,
  Blocking1763900003000,
  Devices1763900004000,
  QrLogin1763900005000,
  EmailFoldKeys1763900030000,
  LastSeenVisibility1763900057000,
  QrLoginDetails1763900058000,
];
