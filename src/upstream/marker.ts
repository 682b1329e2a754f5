import { type CustomerFields, type CustomerPatch, clear, set } from '../../schemas/index.ts';
import { sha256Hex } from '../auth/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { applyPatch, sentUpstream, type WriteRequest } from '../core/index.ts';
import { comparedFields, shadowDiff } from '../core/shadow-diff.ts';
import type { LinkRow, Store } from '../store/index.ts';
import type { Pushed, Upstream, UpstreamClient } from './client.ts';
import { asCarried } from './fidelity.ts';
import { PagedWalk } from './list-shift.ts';

// A create whose answer was lost must be found, not repeated. A provider that takes an
// Idempotency-Key replays its first answer; for one that takes none but has an external id
// (Zenskar), the create carries a marker there and a retry looks the customer up by it first.
// Mirror deliveries (src/outbox/upstream-port.ts) and proxied creates (proxy.ts) share this. A
// provider with neither (Meteroid, Bigcapital) is asked for its list: the retry of a request under
// the same Idempotency-Key sends exactly what the lost attempt sent, so the customer it left there
// is the one no local customer is linked to that shows exactly that (findSent).

/**
 * The marker a create carries, where the provider needs one: the customer's own external_id, or
 * `custgate-<id>` when it has none. The marker is declared noise for the shadow comparison.
 */
export function createMarker(dialect: AnyDialect, customerId: string, fields: Pick<CustomerFields, 'external_id'>): string | undefined {
  if (dialect.idempotency || !dialect.translation.coverage.external_id?.write?.set) return undefined;
  return fields.external_id ?? `custgate-${customerId}`;
}

/** The customer an earlier create left at the upstream under this marker, if there is one. */
export async function findByMarker(client: UpstreamClient, upstream: Upstream, marker: string): Promise<Pushed | undefined> {
  try {
    return await client.fetchCustomer(upstream, marker);
  } catch (error) {
    if (isGatewayError(error) && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** The most list pages a look-up walks (100 customers each) before it stops and refuses to guess. */
export const maxLookupPages = 20;
/** The most list requests it sends: each page after the first is checked against the one before (list-shift.ts). */
export const maxLookupReads = 2 * maxLookupPages - 1;
/** How far the provider's clock may be behind this gateway's. */
const clockSkewMs = 120_000;

/**
 * The customer an earlier attempt to create `sent` left at a provider that has no other way to
 * find it: one no local customer is linked to, showing exactly what was sent on every field the
 * provider shows. `undefined` when the provider's whole list holds none (it never got the create);
 * a list longer than the look-up walks is a 502, the create not sent again.
 */
export async function findSent(
  client: UpstreamClient,
  store: Store,
  upstream: Upstream,
  sent: CustomerFields,
  since?: string,
): Promise<Pushed | undefined> {
  // Clocks differ: a customer the provider dates this much before the attempt could still be it.
  const notBefore = since === undefined ? undefined : Date.parse(since) - clockSkewMs;
  // A list paged by position is checked for moving under the look-up (list-shift.ts): a delete
  // there meanwhile could move the customer sought onto a page read already, and it would be
  // created a second time. Each page after the first costs a second read (the page before, again);
  // the reads are bounded as well as the pages, so the look-up fits its claim (attempts.ts claimFor).
  const tooLong = () =>
    sentUpstream(
      new GatewayError(
        'bad_gateway',
        `An earlier attempt to create this customer reached the ${upstream.dialect.name} upstream and got no usable answer; its customer list is too long to look for what it left there (more than ${maxLookupPages} pages, or moving under the look-up), so the create is not sent again. Check there before retrying.`,
      ),
    );
  let reads = 0;
  const walk = new PagedWalk((token) => {
    if (++reads > maxLookupReads) throw tooLong();
    return client.listPage(upstream, token);
  });
  for (let pages = 0; ; ) {
    if (pages >= maxLookupPages) throw tooLong();
    const step = await walk.next();
    if (step.kind === 'lost') continue;
    if (step.kind === 'page') pages++;
    for (const customer of step.page.customers) {
      if (notBefore !== undefined && customer.createdAt !== undefined && Date.parse(customer.createdAt) < notBefore) continue;
      if (stillToSend(upstream.dialect, sent, customer) !== undefined) continue;
      if (await store.upstreams.findLinkByRemote(upstream.tenantId, upstream.id, customer.id)) continue;
      return { upstreamId: customer.id, patch: customer.patch };
    }
    if (walk.done) return notInFlight(upstream, client.timeoutMs, since);
  }
}

/**
 * `undefined` (send the create again) unless the earlier attempt may still be landing there. An
 * attempt this gateway gave up on at its timeout is not given up on by the provider, which may
 * complete it later: sent again meanwhile, the provider would hold two customers. One older than
 * the timeout and younger than twice it (a retry right after its 504) is a retryable 503 until then.
 */
function notInFlight(upstream: Upstream, timeoutMs: number, since: string | undefined): undefined {
  const at = since === undefined ? Number.NaN : Date.parse(since);
  const wait = at + 2 * timeoutMs - Date.now();
  if (!(wait > 0 && wait <= timeoutMs)) return undefined;
  const seconds = Math.max(1, Math.ceil(wait / 1000));
  throw sentUpstream(
    new GatewayError(
      'upstream_unavailable',
      `An earlier attempt to create this customer got no answer from the ${upstream.dialect.name} upstream within ${timeoutMs} ms and is not in its customer list yet; it may still be completing there, so the create is not sent again before ${new Date(at + 2 * timeoutMs).toISOString()}. Retry in ${seconds} s.`,
      { retryAfterSeconds: seconds },
    ),
  );
}

/**
 * What a found customer still lacks of `after` (an earlier attempt sent an older change), as sets
 * and clears of those fields; undefined when it shows exactly `after`.
 */
export function stillToSend(dialect: AnyDialect, after: CustomerFields, found: Pick<Pushed, 'patch'>): CustomerPatch | undefined {
  const differs = shadowDiff(asCarried(dialect, after), applyPatch(after, found.patch), comparedFields(dialect));
  if (differs.length === 0) return undefined;
  const rest: Record<string, unknown> = {};
  for (const { field } of differs) if (field !== 'deleted') rest[field] = after[field] === null ? clear : set(after[field]);
  return rest as CustomerPatch;
}

/** Failures after which the provider may hold a create (no answer, or one that could not be used). */
export const uncertain = new Set(['upstream_timeout', 'upstream_unavailable', 'bad_gateway', 'internal']);

/** A create's failure that leaves the provider possibly holding it keeps the Idempotency-Key (idempotency.ts). */
export function mayHold(link: LinkRow | undefined, error: unknown): unknown {
  return link === undefined && isGatewayError(error) && uncertain.has(error.code) ? sentUpstream(error) : error;
}

/** A uuid-shaped id derived from the tenant and the client's Idempotency-Key: the same for every retry. */
export async function keyId(ctx: WriteRequest): Promise<string | undefined> {
  if (ctx.idempotencyKey === undefined) return undefined;
  const hex = await sha256Hex(`${ctx.principal.tenantId}\n${ctx.idempotencyKey}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Where the provider takes no Idempotency-Key, a proxied create under one carries a marker derived
 * from it, so the client's retry finds what an earlier attempt left there.
 */
export async function keyMarker(upstream: Upstream, patch: CustomerPatch, ctx: WriteRequest): Promise<string | undefined> {
  const id = await keyId(ctx);
  if (id === undefined) return undefined;
  const external = patch.external_id?.op === 'set' ? patch.external_id.value : null;
  return createMarker(upstream.dialect, id, { external_id: external });
}

/**
 * A retry of a proxied create whose earlier attempt reached the provider without an answer: the
 * customer found by its marker, or by what was sent (findSent), or nothing (send it: the provider
 * never got it, or replays its answer under the forwarded Idempotency-Key).
 */
export async function recoverCreate(
  client: UpstreamClient,
  store: Store,
  upstream: Upstream,
  marker: string | undefined,
  sent: CustomerFields,
  since?: string,
): Promise<Pushed | undefined> {
  if (marker !== undefined) {
    const found = await findByMarker(client, upstream, marker);
    // Linked to another customer here: not what this request left there.
    const linked = found && (await store.upstreams.findLinkByRemote(upstream.tenantId, upstream.id, found.upstreamId));
    return linked ? undefined : found;
  }
  if (upstream.dialect.idempotency) return undefined;
  return findSent(client, store, upstream, sent, since);
}
