import type { Step } from './executor.ts';
import type { CustomerRow, EventRow, IdempotencyFinish } from './hot-queries.ts';
import type { DeliveryRow } from './outbox.ts';
import type { LinkRecord } from './upstream-links.ts';

/** What a locked update decided: the writes to make (if any) and the value to return. */
export interface WritePlan<T> {
  readonly value: T;
  readonly unit?: UpdateUnit | undefined;
  /** A request that changed nothing still stores its answer for its idempotency key. */
  readonly finish?: IdempotencyFinish | undefined;
}

export interface UpdateUnit {
  readonly row: CustomerRow;
  readonly expectedVersion: number;
  /** The stored row the write was planned from (at expectedVersion): its identifiers, kept when unchanged. */
  readonly previous?: Pick<CustomerRow, 'alias' | 'external_id'>;
  readonly event: EventRow;
  readonly idempotency?: IdempotencyFinish;
  /** Outbox rows for the tenant's mirror/shadow upstreams: committed with the write or not at all. */
  readonly deliveries?: readonly DeliveryRow[];
  /** Further rows recorded with the write (webhook deliveries, src/webhooks/): committed with it or not at all. */
  readonly extra?: readonly Step[];
  /** The customer's link to an upstream, made with the write (an import linking a local customer to the provider's). */
  readonly link?: LinkRecord;
}
