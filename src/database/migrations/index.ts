import { type MigrationInterface } from 'typeorm';
import { Initial1763900000000 } from './1763900000000-initial.js';
import { Profile1763900001000 } from './1763900001000-profile.js';
import { SseCodes1763900002000 } from './1763900002000-sse-codes.js';
import { Blocking1763900003000 } from './1763900003000-blocking.js';
import { Devices1763900004000 } from './1763900004000-devices.js';
import { QrLogin1763900005000 } from './1763900005000-qr-login.js';
import { EmailFoldKeys1763900030000 } from './1763900030000-email-fold-keys.js';
import { DeliveredMailBodies1763900040000 } from './1763900040000-delivered-mail-bodies.js';
import { EventIdEpochs1763900041000 } from './1763900041000-event-id-epochs.js';
import { SseCodesPerSession1763900050000 } from './1763900050000-sse-codes-per-session.js';
import { DerivedAuthTokens1763900051000 } from './1763900051000-derived-auth-tokens.js';
import { QrApprovingSession1763900052000 } from './1763900052000-qr-approving-session.js';
import { LastSeenVisibility1763900057000 } from './1763900057000-last-seen-visibility.js';
import { QrLoginDetails1763900058000 } from './1763900058000-qr-login-details.js';
import { SecurityEvents1763900060000 } from './1763900060000-security-events.js';
import { ServiceKeys1765000000000 } from './1765000000000-service-keys.js';
import { SigningKeys1765000000001 } from './1765000000001-signing-keys.js';
import { Webhooks1765000100000 } from './1765000100000-webhooks.js';
import { SecondFactors1765000200000 } from './1765000200000-second-factors.js';
import { Passkeys1765000200001 } from './1765000200001-passkeys.js';
import { Oidc1765000300000 } from './1765000300000-oidc.js';
import { PushServices1765000400000 } from './1765000400000-push-services.js';
import { sealedMailBodies } from './1765000500000-sealed-mail-bodies.js';
import { UserDisabled1765000700000 } from './1765000700000-user-disabled.js';

/** Every migration, oldest first. Modules add theirs here (one file each, never edited once landed). */
export const MIGRATIONS = [
  Initial1763900000000,
  Profile1763900001000,
  SseCodes1763900002000,
  Blocking1763900003000,
  Devices1763900004000,
  QrLogin1763900005000,
  EmailFoldKeys1763900030000,
  DeliveredMailBodies1763900040000,
  EventIdEpochs1763900041000,
  SseCodesPerSession1763900050000,
  DerivedAuthTokens1763900051000,
  QrApprovingSession1763900052000,
  LastSeenVisibility1763900057000,
  QrLoginDetails1763900058000,
  SecurityEvents1763900060000,
  ServiceKeys1765000000000,
  SigningKeys1765000000001,
  Webhooks1765000100000,
  SecondFactors1765000200000,
  Passkeys1765000200001,
  Oidc1765000300000,
  PushServices1765000400000,
  UserDisabled1765000700000,
];

/** Every migration: the list above and those made with the master secret (they seal what they keep). */
export function migrationsWith(masterSecret: string): (new () => MigrationInterface)[] {
  return [...MIGRATIONS, sealedMailBodies(masterSecret)];
}
