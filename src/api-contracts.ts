import { ACCOUNT_CONTRACT } from './account/account.contract.js';
import { ADMIN_CONTRACT } from './admin/admin.contract.js';
import { AUTH_CONTRACT } from './auth/auth.contract.js';
import { AVATARS_CONTRACT } from './avatars/avatars.contract.js';
import { BLOCKING_CONTRACT } from './blocking/blocking.contract.js';
import type { ApiContract } from './common/openapi/contract.js';
import { CONTACTS_CONTRACT } from './contacts/contacts.contract.js';
import { DEVICES_CONTRACT } from './devices/devices.contract.js';
import { HEALTH_CONTRACT } from './health/health.contract.js';
import { MFA_CONTRACT } from './mfa/mfa.contract.js';
import { OIDC_CONTRACT } from './oidc/oidc.contract.js';
import { PASSKEYS_CONTRACT } from './passkeys/passkeys.contract.js';
import { PRESENCE_CONTRACT } from './presence/presence.contract.js';
import { PROFILE_CONTRACT } from './profile/profile.contract.js';
import { QR_LOGIN_CONTRACT } from './qr-login/qr-login.contract.js';
import { RPC_CONTRACT } from './rpc/rpc.contract.js';
import { SERVICE_KEYS_CONTRACT } from './service-keys/service-keys.contract.js';
import { SERVICE_API_CONTRACT } from './service-api/service-api.contract.js';
import { SESSIONS_CONTRACT } from './sessions/sessions.contract.js';
import { SIGNING_KEYS_CONTRACT } from './signing-keys/signing-keys.contract.js';
import { SSE_CONTRACT } from './sse/sse.contract.js';
import { USERS_CONTRACT } from './users/users.contract.js';
import { WEBHOOKS_CONTRACT } from './webhooks/webhooks.contract.js';

/**
 * Every feature's API contract, collected for the OpenAPI document (as `app.module.ts` collects
 * the modules). A feature declares its operations, schemas and RPC methods in its own
 * `<feature>.contract.ts` and is listed here once; the order does not matter.
 */
export const API_CONTRACTS: ApiContract[] = [
  AUTH_CONTRACT,
  MFA_CONTRACT,
  PASSKEYS_CONTRACT,
  OIDC_CONTRACT,
  QR_LOGIN_CONTRACT,
  SESSIONS_CONTRACT,
  SIGNING_KEYS_CONTRACT,
  SERVICE_API_CONTRACT,
  SSE_CONTRACT,
  PROFILE_CONTRACT,
  ACCOUNT_CONTRACT,
  USERS_CONTRACT,
  AVATARS_CONTRACT,
  CONTACTS_CONTRACT,
  PRESENCE_CONTRACT,
  BLOCKING_CONTRACT,
  DEVICES_CONTRACT,
  RPC_CONTRACT,
  HEALTH_CONTRACT,
  ADMIN_CONTRACT,
  WEBHOOKS_CONTRACT,
  SERVICE_KEYS_CONTRACT,
];
