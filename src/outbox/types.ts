import type { Customer, CustomerFields, CustomerPatch, FieldName } from '../../schemas/index.ts';
import type { ReplicaTarget } from '../core/replicas.ts';

// The outbox's narrow port to the outside world (#17). The dispatcher and the shadow comparison
// only know this interface; src/outbox/upstream-port.ts implements it over the dialects' client
// halves (#16), and the unit tests over a fake. The write path's side (which upstreams a write
// reaches) is declared in src/core/replicas.ts, since the core calls it.

export type { ReplicaLookup, ReplicaMode, ReplicaTarget } from '../core/replicas.ts';

/** One committed version of one customer, to send to one upstream. */
export interface DeliveryWork {
  readonly tenantId: string;
  readonly upstream: ReplicaTarget;
  readonly customerId: string;
  readonly version: number;
  /**
   * `create` for the first version the upstream gets; the port still checks its links. `delete`:
   * the customer was deleted; the upstream deletes (or archives) its copy.
   */
  readonly action: 'create' | 'update' | 'delete';
  /** 1 on the first try. */
  readonly attempt: number;
  /** The same for every attempt of this delivery: for upstreams that take an Idempotency-Key. */
  readonly idempotencyKey: string;
  /** The Via the write arrived with, carried onwards (src/upstream/loop.ts): a gateway it came from answers 508. */
  readonly via?: string;
  /** A resync (`custgate upstream resync`): every field goes, judged against the provider's copy read first. */
  readonly resync?: true;
  /** The customer's fields as of this version. */
  readonly fields: CustomerFields;
  /** The stored customer those fields were read from, so the port does not read it again. */
  readonly customer?: Customer;
  /** The absolute values of the fields this version changed (all set fields for a create). */
  readonly patch: CustomerPatch;
  readonly changed: readonly FieldName[];
  /**
   * The metadata keys these versions changed, from their recorded changes; absent where that is
   * not known (a create, or history purged by event retention): then every key counts as changed.
   */
  readonly metadataKeys?: readonly string[];
  /**
   * The fields as of the upstream's last delivered version (the recorded changes since undone):
   * what the provider was last given. Where a member clear or a "" of this delivery depends on it,
   * what the provider holds: its deliveries replayed, each member one left out kept at the value
   * the provider had and each "" it reads as none none (src/outbox/last-given.ts). Absent where
   * that is not known (no delivery yet, or history purged): then any value may be there.
   */
  readonly before?: CustomerFields;
}

export type DeliveryOutcome =
  /** `notCarried`: what the upstream's API has no form for, left out of the request (the provider keeps its value). */
  | { readonly kind: 'delivered'; readonly notCarried?: string }
  /** Worth trying again later: timeouts, dropped connections, 5xx, 429. */
  | { readonly kind: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  /** The upstream refused it for good (a 4xx that is not about load): dead-letter it now. */
  | { readonly kind: 'rejected'; readonly error: string };

/** The upstream's copy of a customer, parsed into canonical fields. */
export interface UpstreamCopy {
  readonly fields: Partial<CustomerFields>;
  /** What the upstream shows as its version (updated_at or a number), if anything. */
  readonly version: string | null;
}

export interface UpstreamPort {
  deliver(work: DeliveryWork, signal: AbortSignal): Promise<DeliveryOutcome>;
  /**
   * The upstream's copy of the customer (undefined: it has none, or it is not linked yet), as the
   * local fields `base` with what the upstream shows put over them.
   */
  read(
    tenantId: string,
    upstream: ReplicaTarget,
    customerId: string,
    base: CustomerFields,
    signal: AbortSignal,
  ): Promise<UpstreamCopy | undefined>;
  /**
   * The local fields as this upstream's dialect can show them (render, then parse back): what the
   * shadow comparison expects to read there. Lossless reformatting (US vs United States) and
   * fields the dialect cannot carry drop out here rather than as noise in the diff. `there` is the
   * upstream's copy (whether it shows custgate's create marker).
   */
  expected(upstream: ReplicaTarget, customerId: string, fields: CustomerFields, there: Partial<CustomerFields>): Partial<CustomerFields>;
}
