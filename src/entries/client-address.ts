import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyaddr from '@fastify/proxy-addr';

// Which address a request is limited by (the failed-authentication lockout, the in-flight limit:
// docs/security.md#the-client-address). Behind a reverse proxy every socket is the proxy's, so one
// client's bad keys would lock out everyone; the operator names the proxies it runs
// (CUSTGATE_TRUSTED_PROXIES) and their X-Forwarded-For is believed, theirs only. The parsing and the
// CIDR matching are @fastify/proxy-addr's (Express's `trust proxy` rules), not hand-written here.

/** The client address of a request as the server received it. */
export type ClientAddressOf = (incoming: IncomingMessage) => string | undefined;

/** The socket's address, or with trusted proxies the right-most X-Forwarded-For hop outside them. */
export function clientAddressResolver(trusted: readonly string[]): ClientAddressOf {
  if (trusted.length === 0) return (incoming) => incoming.socket.remoteAddress;
  const trust = proxyaddr.compile([...trusted]);
  return (incoming) => {
    if (incoming.socket.remoteAddress === undefined) return undefined;
    // The socket first, then the forwarded hops right to left, up to the first untrusted one.
    const hops = proxyaddr.all(incoming, trust);
    const found = withoutPort(hops[hops.length - 1] ?? '');
    // A hop that is no address (a proxy passing on what a client wrote) is not a key an attacker
    // may vary at will: the request counts against the trusted proxy that forwarded it.
    return isIP(found) !== 0 ? found : hops[hops.length - 2];
  };
}

/**
 * The address of a hop written with its port (`203.0.113.7:51234`, `[2001:db8::1]:51234`), as some
 * load balancers (Azure Application Gateway) write it: the client is the address, whatever port
 * it came from. Anything else is returned as it is.
 */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\]:\d{1,5}$/.exec(hop);
  if (bracketed) return bracketed[1] ?? hop;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  return v4?.[1] ?? hop;
}
