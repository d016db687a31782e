import type { ApiContract } from '../common/openapi/contract.js';

// The methods themselves are declared by the features that serve them (their `rpcMethods`); the
// document expands this one route into a path per method.
export const RPC_CONTRACT: ApiContract = {
  operations: { 'POST /rpc/{method}': { status: 200, body: 'Empty' } },
};
