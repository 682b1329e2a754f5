import type { CustomerFields, CustomerPatch } from '../../schemas/index.ts';
import { sha256Hex } from '../auth/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { sentUpstream, type WriteRequest } from '../core/index.ts';
import type { LinkRow, Store } from '../store/index.ts';
import type { Pushed, Upstream, UpstreamClient } from './client.ts';

// A create whose answer was lost must be found, not repeated. A provider that takes an
// Idempotency-Key replays its first answer; for one that takes none but has an external id
// (Zenskar), the create carries a marker there and a retry looks the customer up by it first.
// Mirror deliveries (src/outbox/upstream-port.ts) and proxied creates (proxy.ts) share this.

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

/** Failures after which the provider may hold a create (no answer, or one that could not be used). */
const uncertain = new Set(['upstream_timeout', 'upstream_unavailable', 'bad_gateway', 'internal']);

/** A create's failure that leaves the provider possibly holding it keeps the Idempotency-Key (idempotency.ts). */
export function mayHold(link: LinkRow | undefined, error: unknown): unknown {
  return link === undefined && isGatewayError(error) && uncertain.has(error.code) ? sentUpstream(error) : error;
}

/**
 * Where the provider takes no Idempotency-Key, a proxied create under one carries a marker derived
 * from it, so the client's retry finds what an earlier attempt left there.
 */
export async function keyMarker(upstream: Upstream, patch: CustomerPatch, ctx: WriteRequest): Promise<string | undefined> {
  if (ctx.idempotencyKey === undefined) return undefined;
  const hex = await sha256Hex(`${ctx.principal.tenantId}\n${ctx.idempotencyKey}`);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  const external = patch.external_id?.op === 'set' ? patch.external_id.value : null;
  return createMarker(upstream.dialect, id, { external_id: external });
}

/**
 * A retry of a proxied create whose earlier attempt reached the provider without an answer: the
 * customer found by its marker, or nothing (send it: the provider never got it, or replays its
 * answer under the forwarded Idempotency-Key). A provider with neither is not sent it again.
 */
export async function recoverCreate(
  client: UpstreamClient,
  store: Store,
  upstream: Upstream,
  marker: string | undefined,
): Promise<Pushed | undefined> {
  if (marker !== undefined) {
    const found = await findByMarker(client, upstream, marker);
    // Linked to another customer here: not what this request left there.
    const linked = found && (await store.upstreams.findLinkByRemote(upstream.tenantId, upstream.id, found.upstreamId));
    return linked ? undefined : found;
  }
  if (upstream.dialect.idempotency) return undefined;
  throw sentUpstream(
    new GatewayError(
      'bad_gateway',
      `An earlier request with this Idempotency-Key reached the ${upstream.dialect.name} upstream and got no usable answer; it may hold the customer, and has no way to tell, so the create is not sent again. Check there, then retry with a new key.`,
    ),
  );
}
