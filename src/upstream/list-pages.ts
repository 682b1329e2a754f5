import { applyPatch, checkGrowth, checkInvariants } from '../core/index.ts';
import type { ClientCustomer } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { fieldDefaults } from '../../schemas/index.ts';
import type { Upstream, UpstreamClient } from './client.ts';
import type { ListedPage } from './listed-page.ts';

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
 * nothing. A customer of it this gateway cannot store as the provider holds it is named in
 * `refused` (notStorable), and the rest of the page is good: the import leaves that one out and
 * goes on (import.ts). `maxCustomerBytes`: CUSTGATE_MAX_CUSTOMER_BYTES.
 */
export async function checkedPage(
  client: UpstreamClient,
  upstream: Upstream,
  token: string | undefined,
  sleep: (ms: number) => Promise<void>,
  maxCustomerBytes: number | undefined,
): Promise<ListedPage> {
  const page = await pageWithRetries(client, upstream, token, sleep, true);
  const ids = new Set(page.customers.map((c) => c.id));
  if (ids.size !== page.customers.length) throw new GatewayError('bad_gateway', "The upstream's list page names a customer twice.");
  if (page.next !== undefined && page.customers.length === 0) {
    throw new GatewayError('bad_gateway', "The upstream's list page is empty but names a next page.");
  }
  return { ...page, refused: notStorable(page, maxCustomerBytes) };
}

/**
 * The customers of a page read with `screen` this gateway cannot store as the provider holds them,
 * by id, with why: what the answer checks found (a NUL character), then what a create from it
 * checks before it reads the store (the canonical checks, as an email that is none, and
 * CUSTGATE_MAX_CUSTOMER_BYTES). One list for the import and `upstream reconcile`, so both name
 * the same customers for the same reasons.
 */
export function notStorable(page: ListedPage, maxCustomerBytes: number | undefined): Map<string, string> {
  const refused = new Map(page.refused);
  for (const customer of page.customers) {
    if (refused.has(customer.id)) continue;
    const why = whyNotStorable(customer, maxCustomerBytes);
    if (why !== undefined) refused.set(customer.id, why);
  }
  return refused;
}

function whyNotStorable(customer: ClientCustomer, maxCustomerBytes: number | undefined): string | undefined {
  try {
    // The import's create starts from the defaults with the provider's values over them (import-one.ts).
    const fields = applyPatch(fieldDefaults, customer.patch);
    checkInvariants(fields);
    checkGrowth(fieldDefaults, fields, {}, maxCustomerBytes);
    return undefined;
  } catch (error) {
    return whyRefused(error) ?? (error instanceof Error ? error.message : String(error));
  }
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
