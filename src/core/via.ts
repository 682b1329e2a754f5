// The Via a request arrived with (RFC 9110 §7.6.3), kept to be carried onwards: by a proxied
// write at once, by a mirror delivery from its outbox row (src/upstream/loop.ts adds this gateway).

/** Longest Via chain kept: a loop shows within two hops, so only a chain built to be long is cut. */
const maxViaLength = 1000;

/** The hops of a Via header, the oldest dropped while the chain is past 1,000 characters; undefined when none. */
export function keptVia(arrived: string | undefined): string | undefined {
  if (arrived === undefined) return undefined;
  const hops = arrived
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  while (hops.length > 0 && hops.join(', ').length > maxViaLength) hops.shift();
  return hops.length > 0 ? hops.join(', ') : undefined;
}
