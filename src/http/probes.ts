import { constantTimeEqual, sha256Hex } from '../auth/crypto.ts';
import type { Store } from '../store/index.ts';

// Probes answer without credentials and say nothing about tenants: only whether this process can
// reach its database. The detail (outbox depth per tenant, unreadable upstreams) and /metrics are
// for the operator: served only with CUSTGATE_PROBE_TOKEN as a bearer token, and not at all
// while it is unset.

/** Whether `authorization` carries the probe token (compared as hashes, so in constant time and length). */
export async function probeAuthorized(authorization: string | undefined, token: string | undefined): Promise<boolean> {
  if (token === undefined || authorization === undefined) return false;
  // The scheme is case-insensitive (RFC 9110 §11.1), as the dialects read theirs (src/auth/credential.ts).
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization);
  if (!match?.[1]) return false;
  return constantTimeEqual(await sha256Hex(match[1]), await sha256Hex(token));
}

const pingTimeoutMs = 2000;

/** Whether the database answered a round trip within the timeout. */
export async function databaseReachable(store: Store): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), pingTimeoutMs);
  });
  try {
    return await Promise.race([store.ping().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
