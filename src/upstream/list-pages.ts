import type { ClientPage } from '../contract/client.ts';
import { applyPatch, checkInvariants } from '../core/index.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { fieldDefaults } from '../../schemas/index.ts';
import type { Upstream, UpstreamClient } from './client.ts';

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
) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.listPage(upstream, token);
    } catch (error) {
      const wait = waitBefore(error, attempt);
      if (wait === undefined || attempt >= maxTries) throw error;
      await sleep(wait);
    }
  }
}

/** A page of the upstream's list, checked whole before any of it is stored: a bad page stores nothing. */
export async function checkedPage(
  client: UpstreamClient,
  upstream: Upstream,
  token: string | undefined,
  sleep: (ms: number) => Promise<void>,
): Promise<ClientPage> {
  const page = await pageWithRetries(client, upstream, token, sleep);
  const ids = new Set(page.customers.map((c) => c.id));
  if (ids.size !== page.customers.length) throw new GatewayError('bad_gateway', "The upstream's list page names a customer twice.");
  if (page.next !== undefined && page.customers.length === 0) {
    throw new GatewayError('bad_gateway', "The upstream's list page is empty but names a next page.");
  }
  for (const customer of page.customers) {
    try {
      checkInvariants(applyPatch(fieldDefaults, customer.patch));
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new GatewayError('bad_gateway', `The upstream's customer ${customer.id} is not one this gateway can store: ${why}`);
    }
  }
  return page;
}
