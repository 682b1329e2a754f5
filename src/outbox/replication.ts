import type { Upstreams } from '../upstream/tenant-upstreams.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { ReplicaLookup } from '../core/replicas.ts';

// The dispatcher imports types.ts; what names the dispatcher lives here, so the two do not import
// each other.

/** Mirror/shadow replication as the HTTP runtime takes it (src/http/runtime.ts). */
export interface Replication {
  readonly replicas: ReplicaLookup;
  /** Sends what the writes recorded (built over the same store and replicas). */
  readonly dispatcher: Dispatcher;
  /** Drain after each replicated write (default); false leaves it to start() or the cron handler. */
  readonly drainAfterWrite?: boolean;
  /**
   * Where a write's kick goes instead of the dispatcher: the delivery thread on Node
   * (src/entries/delivery-thread.ts), whose own dispatcher drains.
   */
  readonly kick?: () => Promise<unknown>;
  /** The tenants' upstreams the dispatcher opens: the write path shares them (one decrypt per change). */
  readonly upstreams?: Upstreams;
}
