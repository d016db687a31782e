import type { ApiContract } from './common/openapi/contract.js';
import { OPERATIONS } from './common/openapi/operations.js';
import { RPC_METHODS } from './rpc/rpc-methods.js';
import { WEBHOOKS_CONTRACT } from './webhooks/webhooks.contract.js';

/**
 * Every feature's API contract, collected for the OpenAPI document (as `app.module.ts` collects
 * the modules). A feature declares its operations and schemas in its own `<feature>.contract.ts`
 * and is listed here once.
 */
export const API_CONTRACTS: ApiContract[] = [
  { operations: OPERATIONS, rpcMethods: RPC_METHODS },
  WEBHOOKS_CONTRACT,
];
