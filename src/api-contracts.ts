import type { ApiContract } from './common/openapi/contract.js';
import { OPERATIONS } from './common/openapi/operations.js';
import { MFA_CONTRACT } from './mfa/mfa.contract.js';
import { PASSKEYS_CONTRACT } from './passkeys/passkeys.contract.js';
import { OIDC_CONTRACT } from './oidc/oidc.contract.js';
import { DEVICES_CONTRACT } from './devices/devices.contract.js';
import { RPC_METHODS } from './rpc/rpc-methods.js';
import { SERVICE_API_CONTRACT } from './service-api/service-api.contract.js';
import { SIGNING_KEYS_CONTRACT } from './signing-keys/signing-keys.contract.js';

/**
 * Every feature's API contract, collected for the OpenAPI document (as `app.module.ts` collects
 * the modules). A feature declares its operations and schemas in its own `<feature>.contract.ts`
 * and is listed here once.
 */
export const API_CONTRACTS: ApiContract[] = [
  { operations: OPERATIONS, rpcMethods: RPC_METHODS },
  MFA_CONTRACT,
  PASSKEYS_CONTRACT,
  OIDC_CONTRACT,
  SIGNING_KEYS_CONTRACT,
  SERVICE_API_CONTRACT,
  DEVICES_CONTRACT,
];
