import type { GatewayConfig } from '../config.ts';
import type { Replication } from '../http/runtime.ts';
import type { Store } from '../store/index.ts';

/**
 * The outbox's port over the tenants' upstreams (#16: the upstreams table, links, and each
 * dialect's client half). Undefined while no upstream support is built in: then no write records
 * a delivery.
 */
export function replicationFor(_store: Store, _config: GatewayConfig): Replication | undefined {
  return undefined;
}
