// The ports the write path calls to learn which upstreams a committed write reaches. The core
// declares them and the outbox implements them (src/outbox/upstream-port.ts), so the core imports
// nothing above it.

export type ReplicaMode = 'mirror' | 'shadow';

/** An upstream the local store replicates to: it gets a delivery for every committed write. */
export interface ReplicaTarget {
  readonly id: string;
  /** The dialect's registry name. */
  readonly dialect: string;
  readonly mode: ReplicaMode;
}

/** The tenant's mirror and shadow upstreams (proxy ones are not replicas). */
export type ReplicaLookup = (tenantId: string) => Promise<readonly ReplicaTarget[]>;
