import type { CustomerFields } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { isGatewayError } from '../contract/errors.ts';
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
