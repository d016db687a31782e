import { API_CONTRACTS } from '../api-contracts.js';
import { RPC_METHODS } from './rpc-methods.js';

describe('the RPC methods', () => {
  const declared = Object.fromEntries(
    API_CONTRACTS.flatMap((contract) => Object.entries(contract.rpcMethods ?? {})),
  );

  it('the endpoint serves exactly the methods the features declare in their contracts', () => {
    expect(Object.keys(RPC_METHODS).sort()).toEqual(Object.keys(declared).sort());
  });

  it('each method calls the route, access and arguments its contract documents', () => {
    for (const [name, spec] of Object.entries(RPC_METHODS)) {
      expect({ name, rest: spec.rest, access: spec.access, dto: spec.dto }).toEqual({
        name,
        rest: declared[name].rest,
        access: declared[name].access,
        dto: declared[name].dto,
      });
    }
  });
});
