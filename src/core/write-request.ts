import type { Customer, CustomerPatch } from '../../schemas/index.ts';
import type { Principal } from '../contract/dialect.ts';
import type { Step } from '../store/index.ts';
import type { ReplicaLookup, ReplicaTarget } from './replicas.ts';

/** A write as a client asked for it: who, through which dialect, under which conditions. */
export interface WriteRequest {
  readonly principal: Principal;
  readonly dialect: string;
  /**
   * If-Match: the versions the client accepts (RFC 9110 §13.1.1: a list matches when any of its
   * tags does); a current version not among them refuses the write. Undefined: no condition.
   */
  readonly expectedVersions?: readonly number[] | undefined;
  /**
   * Where the dialect's own limits let values through because the customer holds them (src/contract/held-limits.ts):
   * throws the dialect's refusal unless `current`, the customer the write is planned on, holds them all.
   */
  readonly heldPastLimits?: ((current: Customer) => void) | undefined;
  /** Most metadata keys a write through this dialect may leave (the provider's own limit). */
  readonly metadataMaxKeys?: number | undefined;
  /** Under a held Idempotency-Key: the record (the one rendered response) stored with the write. */
  readonly keep?: ((customer: Customer) => KeptResponse) | undefined;
  /** The request's Idempotency-Key, recorded with the write's outbound events (webhooks). */
  readonly idempotencyKey?: string | undefined;
  /** The request's id, recorded with the write's outbound events (webhooks). */
  readonly requestId?: string | undefined;
  /** The Via header the request arrived with: a proxy write carries it onwards (src/upstream/loop.ts). */
  readonly via?: string | undefined;
  /** Workers' waitUntil: work started after the write (sending its events) that must outlive the response. */
  readonly background?: ((work: Promise<unknown>) => void) | undefined;
}

/**
 * Where a write goes beside the store, when its caller decided that already (src/upstream/): the
 * tenant's replicas, and in proxy mode what the upstream, the system of record, answered.
 */
export interface WriteRoute {
  /** The mirror/shadow upstreams that get a delivery; when absent the ReplicaLookup port is asked. */
  readonly replicas?: readonly ReplicaTarget[] | undefined;
  /** The state the upstream returned, applied after the patch. */
  readonly overlay?: CustomerPatch | undefined;
  /**
   * The version the upstream's write was computed from (proxy mode): a write that finds the
   * customer at another version throws BaseMoved instead of committing, because what the upstream
   * was sent did not include the change that moved it (a replace-only field sent whole).
   */
  readonly basedOn?: number | undefined;
  /**
   * The customer's id at an upstream, stored atomically with the write: a create's new customer, or
   * an update that changes the customer (one that changes nothing writes no link: its caller links).
   */
  readonly link?: { readonly upstreamId: string; readonly remoteId: string; readonly importStartedAt?: string } | undefined;
  /** A new customer takes the upstream's id where it has the shape of one of ours (a number only while no customer holds it). */
  readonly ids?:
    | { readonly uuid?: string | undefined; readonly public_id?: string | undefined; readonly number?: number | undefined }
    | undefined;
  /**
   * Reads the write's atomic unit must still find when it commits (CheckFailed otherwise): the
   * route was decided on what the process kept of the tenant's upstreams (src/upstream/customers.ts).
   */
  readonly checks?: readonly Step[] | undefined;
}

/** A write as the service carries it through its steps. */
export type Write = WriteRequest & WriteRoute;

export interface KeptResponse {
  readonly tenantId: string;
  readonly key: string;
  readonly status: number;
  readonly body: string;
}

export interface ServiceOptions {
  readonly now: () => Date;
  /** Customers of retrieved rows kept for the next retrieve (kept-customers.ts); 0 or absent: none. */
  readonly readCacheSize?: number;
  /** Attempts at a compare-and-set before answering with a conflict (backends without row locks). */
  readonly maxAttempts: number;
  /** How long an update may wait for earlier updates of the same customer before a 409. */
  readonly writeWaitMs: number;
  /** The tenant's mirror/shadow upstreams: each committed write records a delivery to each. */
  readonly replicas?: ReplicaLookup;
  /** Largest stored customer (canonical JSON), in bytes; larger writes are refused. */
  readonly maxCustomerBytes?: number;
  /** Outbound events (webhooks): rows recorded in each write's atomic unit, and a nudge after it committed. */
  readonly events?: EventSink;
  /** Called after a write that recorded outbox deliveries committed (the runtime drains then). */
  readonly replicated?: (background?: (work: Promise<unknown>) => void) => void;
}

/** A committed write, as its outbound events announce it. */
export interface WrittenEvent {
  readonly tenantId: string;
  readonly customerId: string;
  readonly version: number;
  readonly action: 'create' | 'update' | 'delete';
  /** The customer's mode: only endpoints of that mode hear of it. */
  readonly livemode: boolean;
  readonly at: string;
  readonly requestId: string | null;
  readonly idempotencyKey: string | null;
}

export interface EventSink {
  /** The rows a write of this tenant records for its event (undefined: nobody listens); read once per write. */
  prepare(tenantId: string): Promise<((event: WrittenEvent) => readonly Step[]) | undefined>;
  /** After the write committed: sends its events (kept alive by `background` where given). */
  committed(background?: (work: Promise<unknown>) => void): void;
}

export type Recorder = ((event: WrittenEvent) => readonly Step[]) | undefined;
