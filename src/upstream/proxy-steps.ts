import type { Customer, CustomerFields } from '../../schemas/index.ts';
import { applyPatch, type CustomerService, type WriteRequest } from '../core/index.ts';
import type { LinkRow, Store } from '../store/index.ts';
import type { Pushed, Upstream } from './client.ts';
import { mayHold } from './marker.ts';
import { providerValueError } from './refusal.ts';

// Two steps of a proxied write (proxy.ts) that need only the store or the core: recording which
// customer the provider's id is, and checking what the provider answered before it is stored.

/** Links the local customer to its id at the provider, and answers the link as the store keeps it. */
export async function storeLink(store: Store, upstream: Upstream, customerId: string, remoteId: string): Promise<LinkRow> {
  const row = { upstreamId: upstream.id, customerId, tenantId: upstream.tenantId, remoteId, createdAt: new Date().toISOString() };
  await store.upstreams.link(row);
  return {
    upstream_id: row.upstreamId,
    customer_id: customerId,
    tenant_id: row.tenantId,
    remote_id: remoteId,
    created_at: row.createdAt,
    import_started_at: null,
  };
}

/** The provider's answer, if what it holds passes every local check: else the provider's problem (502). */
export async function heldAnswer(
  service: CustomerService,
  link: LinkRow | undefined,
  current: Customer | CustomerFields,
  after: CustomerFields,
  pushed: Pushed,
  ctx: WriteRequest,
  upstream: Upstream,
): Promise<Pushed> {
  try {
    await service.checkWrite(current, applyPatch(after, pushed.patch), ctx, 'uuid' in current ? current.uuid : undefined);
  } catch (error) {
    throw mayHold(link, providerValueError(error, upstream.dialect));
  }
  return pushed;
}
