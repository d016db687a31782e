import type { SchemaObject } from '@nestjs/swagger';
import type { OperationContract } from './operations.js';

/** Who may call an operation: anybody, any logged-in user, or a user with a confirmed email. */
export type RpcAccess = 'public' | 'user' | 'confirmed';

/** How the document describes one seed RPC method: the REST route it stands for and its arguments. */
export interface RpcMethodContract {
  rest: string;
  dto: { name: string };
  access: RpcAccess;
}

/**
 * What one feature answers, declared beside its controller (`<feature>.contract.ts`) and collected
 * by `src/api-contracts.ts`: its operations keyed by `METHOD /path` under /api/v1 (path parameters
 * as `{name}`), the named schemas they refer to, and the RPC methods it serves. The shared layer
 * only builds the document from these; it knows no feature.
 */
export interface ApiContract {
  operations: Record<string, OperationContract>;
  schemas?: Record<string, SchemaObject>;
  rpcMethods?: Record<string, RpcMethodContract>;
}
