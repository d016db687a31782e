import { lookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** ::a.b.c.d, the deprecated IPv4-compatible form, which ipaddr.js counts as unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Whether the service may connect to this address on someone else's behalf (an avatar URL, a
 * webhook endpoint): public unicast only, never private, loopback, link-local or reserved.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast' && !(parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE));
}

export interface CheckedLookupOptions {
  /** False: any address will do (a host the operator allowed). */
  check: boolean;
  /** The error a connection to `address` fails with. */
  refuse: (address: string) => Error;
  /** Runs each lookup (a limit on lookups at once); at once unless given. */
  queue?: (lookup: () => Promise<LookupAddress[]>) => Promise<LookupAddress[]>;
}

/**
 * A `lookup` for http(s) requests that refuses a host name with any address that is not public.
 * The check is made on the addresses the connection then uses, so a DNS answer cannot change
 * between the check and the connection.
 */
export function checkedLookup({
  check,
  refuse,
  queue = (run) => run(),
}: CheckedLookupOptions): LookupFunction {
  return (hostname, options, done) => {
    queue(
      () =>
        new Promise<LookupAddress[]>((resolve, reject) =>
          lookup(hostname, { ...options, all: true }, (error, addresses) =>
            error ? reject(error) : resolve(addresses),
          ),
        ),
    ).then(
      (addresses) => {
        const refused = check ? addresses.find(({ address }) => !isPublicAddress(address)) : undefined;
        if (refused) return done(refuse(refused.address), '', 0);
        // http calls with `all` when it wants every address (happy eyeballs), else the first.
        if (options.all) return done(null, addresses);
        return done(null, addresses[0].address, addresses[0].family);
      },
      (error: Error) => done(error, '', 0),
    );
  };
}
