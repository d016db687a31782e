import type { SchemaObject } from '@nestjs/swagger';
import type { ErrorCode } from '../errors.js';

/** Who may call an operation: anybody, any logged-in user, or a user with a confirmed email. */
export type RpcAccess = 'public' | 'user' | 'confirmed';

/**
 * What each operation answers, beside what @nestjs/swagger reads from the controllers: its
 * success status and body, the error codes it can answer with (their statuses come from the code
 * table, `conflict`/`tooLarge` name the codes answered with 409/413), its parameters' real types
 * and its request examples. The document refuses to build when an operation has no contract, or
 * a contract no operation.
 */
export interface OperationContract {
  status: number;
  /** The success body: a schema's name (shared or a feature's), or a content type and schema. */
  body: string | { contentType: string; schema: SchemaObject; description: string };
  /** Other statuses with the same body (304: none), e.g. 200 for a device that was already mine. */
  alsoStatus?: Record<number, string>;
  errors?: ErrorCode[];
  conflict?: ErrorCode[];
  tooLarge?: ErrorCode[];
  /** A public operation that also reads the caller when a valid token is sent. */
  optionalCaller?: boolean;
  /** Path and query parameters, by name. */
  params?: Record<string, ParameterSpec>;
  /** Query parameters of which a request sends exactly one (`x-exactly-one-of`). */
  exactlyOneOf?: string[];
  /** The request body's schema, replacing the one read from the DTO. */
  requestSchema?: SchemaObject;
  requestExamples?: Record<string, { summary: string; value: unknown }>;
  description?: string;
  headers?: Record<string, { description: string; schema: SchemaObject }>;
}

/** A parameter: where it is (path unless said), whether it is required, and its schema. */
export type ParameterSpec = Omit<SchemaObject, 'required'> & {
  in?: 'query' | 'path' | 'header';
  required?: boolean;
};

/**
 * How the document describes one seed RPC method: the REST route it stands for, its arguments
 * (the DTO, or `NO_ARGUMENTS`) and who may call it. Its answer is the REST route's unless `result`
 * says otherwise.
 */
export interface RpcMethodContract {
  rest: string;
  dto: { name: string };
  access: RpcAccess;
  result?: { description: string; schema: SchemaObject };
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
