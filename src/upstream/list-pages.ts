import { applyPatch, checkInvariants } from '../core/index.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { fieldDefaults } from '../../schemas/index.ts';
import type { ListedPage, Upstream, UpstreamClient } from './client.ts';

// Reading an upstream's customer list a page at a time, for `upstream import` (import.ts) and
// `upstream reconcile` (src/outbox/reconcile.ts): a throttled or unreachable provider is waited
// for, and a page is checked whole before anything of it is stored.

/** The longest wait a Retry-After may ask for; a provider asking for longer is treated as down. */
const maxRetryAfterMs = 120_000;
/** Throttled or unreachable answers tolerated in a row on one page before the import stops (resumable). */
const maxTries = 8;
export const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A transient failure worth waiting for: the provider's throttle (with its Retry-After), a timeout, an outage. */
function waitBefore(error: unknown, attempt: number): number | undefined {
  if (!isGatewayError(error)) return undefined;
  const after = error.details.retryAfterSeconds;
  if (after !== undefined) return Math.min(after * 1000, maxRetryAfterMs);
  if (['rate_limited', 'unavailable', 'upstream_unavailable', 'upstream_timeout'].includes(error.code)) return 250 * 2 ** attempt;
  return undefined;
}

export async function pageWithRetries(
  client: UpstreamClient,
  upstream: Upstream,
  token: string | undefined,
  sleep: (ms: number) => Promise<void>,
  screen = false,
): Promise<ListedPage> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.listPage(upstream, token, screen);
    } catch (error) {
      const wait = waitBefore(error, attempt);
      if (wait === undefined || attempt >= maxTries) throw error;
      await sleep(wait);
    }
  }
}

/**
 * A page of the upstream's list, checked whole before any of it is stored: a bad page stores
 * nothing. A customer of it this gateway cannot store as the provider holds it (a NUL character,
 * a value past the canonical limits) is named in `refused`, with what is wrong, and the rest of
 * the page is good: the import leaves that one out and goes on (import.ts).
 */
export async function checkedPage(
  client: UpstreamClient,
  upstream: Upstream,
  token: string | undefined,
  sleep: (ms: number) => Promise<void>,
): Promise<ListedPage> {
  const page = await pageWithRetries(client, upstream, token, sleep, true);
  const ids = new Set(page.customers.map((c) => c.id));
  if (ids.size !== page.customers.length) throw new GatewayError('bad_gateway', "The upstream's list page names a customer twice.");
  if (page.next !== undefined && page.customers.length === 0) {
    throw new GatewayError('bad_gateway', "The upstream's list page is empty but names a next page.");
  }
  const refused = new Map(page.refused);
  for (const customer of page.customers) {
    if (refused.has(customer.id)) continue;
    try {
      checkInvariants(applyPatch(fieldDefaults, customer.patch));
    } catch (error) {
      refused.set(customer.id, whyRefused(error) ?? (error instanceof Error ? error.message : String(error)));
    }
  }
  return { ...page, refused };
}

/**
 * What the gateway's checks refused in a customer (each issue, by canonical field), or undefined
 * when the error is no refusal of the customer's values (the store failed, the provider did).
 */
export function whyRefused(error: unknown): string | undefined {
  if (!isGatewayError(error) || (error.code !== 'invalid_request' && error.code !== 'payload_too_large')) return undefined;
  const issues = (error.details.issues ?? []).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  return issues.length > 0 ? issues.join('; ') : error.message;
}
