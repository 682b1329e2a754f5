import type { Generated } from 'kysely';
import type {
  ReconcileListedTable,
  UpstreamCreateAttemptsTable,
  UpstreamHistoryTable,
  UpstreamImportConflictsTable,
  UpstreamImportRefusalsTable,
  UpstreamImportsTable,
  UpstreamLinksTable,
  UpstreamsTable,
  UpstreamVersionsTable,
  UpstreamWebhookEventsTable,
} from './schema-upstreams.ts';

// Table shapes as kysely sees them. Timestamps are ISO 8601 strings and booleans 0/1 so the same
// rows read alike on SQLite, D1 and PostgreSQL. The upstreams' tables are schema-upstreams.ts.

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface CredentialsTable {
  id: string;
  tenant_id: string;
  kind: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  secret_hash: string;
  /** First characters of the secret, for telling keys apart in listings. */
  prefix: string;
  livemode: number;
  created_at: string;
  revoked_at: string | null;
}

export interface CustomersTable {
  id: string;
  tenant_id: string;
  public_id: string;
  number: number;
  alias: string | null;
  external_id: string | null;
  version: number;
  /** Canonical fields and state as JSON (schemas/customer.ts). */
  data: string;
  created_at: string;
  updated_at: string;
  /** The mode of the key that created it: 1 live, 0 test, null not recorded (visible in both). */
  livemode: number | null;
  /** When it was deleted: the row stays as a tombstone (its ids, its history), left out of lists. */
  deleted_at: string | null;
}

export interface CustomerEventsTable {
  customer_id: string;
  /** The version this change produced; (tenant_id, customer_id, version) is the compare-and-set guard. */
  version: number;
  tenant_id: string;
  action: string;
  dialect: string;
  credential_id: string;
  /** JSON: [{ field, before, after }]. */
  changes: string;
  created_at: string;
  /** The request id the write was answered with, and its Idempotency-Key (migration 0055): a Stripe event's `request`. Null for a write no request made (fixtures, provider webhooks) and for events from before. */
  request_id: string | null;
  idempotency_key: string | null;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  request_hash: string;
  /** 'pending' while the first request runs, then 'done'; 'sent' when it failed after reaching a proxy upstream. */
  state: string;
  status: number | null;
  body: string | null;
  created_at: string;
  expires_at: string;
}

/** The columns of a row of a queue of deliveries, leased by compare-and-set (src/store/lease.ts). */
export interface LeasedRow<S extends string = string> {
  /** 'pending' until sent, then 'delivered'; 'dead' after too many attempts or a refusal. */
  state: S;
  attempts: number;
  next_attempt_at: string;
  /** The dispatcher holding it, until lease_until: another takes over only after that. */
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
}

/** One delivery of one committed version of a customer to one mirror/shadow upstream (#17). */
export interface OutboxTable extends LeasedRow {
  upstream_id: string;
  customer_id: string;
  version: number;
  tenant_id: string;
  /** 'create' (the upstream has no copy yet) or 'update'. */
  action: string;
  created_at: string;
  updated_at: string;
  /**
   * The Via the write arrived with (migration 0029): the delivery carries it onwards, so a
   * gateway mirroring back to the one the write came from answers 508 (src/upstream/loop.ts).
   */
  via: string | null;
  /**
   * Set by `custgate upstream resync` (migration 0054): this delivery sends the customer's whole
   * local state, and the token goes into its Idempotency-Key (src/outbox/resync.ts).
   */
  resync: string | null;
  /**
   * A resync of a version delivered already (migration 0056): the row's columns before it, as
   * JSON (ResyncPrior), which `outbox drop` puts back. Absent from rows the write path inserts.
   */
  resync_prior?: string | null | undefined;
}

/** One comparison of a customer with its copy at a shadow upstream. */
export interface ShadowChecksTable {
  id: string;
  tenant_id: string;
  upstream_id: string;
  dialect: string;
  customer_id: string;
  local_version: number;
  /** What the upstream shows as its version (its updated_at, or a version number), if anything. */
  upstream_version: string | null;
  mismatches: number;
  created_at: string;
}

/** One field that differed in one comparison; values are JSON. */
export interface ShadowDiffsTable {
  check_id: string;
  field: string;
  tenant_id: string;
  dialect: string;
  customer_id: string;
  local_value: string;
  upstream_value: string;
  local_version: number;
  upstream_version: string | null;
  created_at: string;
}

export interface SigningKeysTable {
  tenant_id: string;
  /** The tenant's HS256 key, base64url (32 random bytes). A secret: whoever reads it can sign. */
  secret: string;
  created_at: string;
}

export interface GatewayKeysTable {
  name: string;
  value: string;
  created_at: string;
}

/** A tenant's rule for failures a dev server injects (src/http/simulate-rules.ts). */
export interface SimulateRulesTable {
  id: string;
  tenant_id: string;
  /** A path prefix, or a glob with `*`; null: every path. */
  path: string | null;
  /** null: every method. */
  method: string | null;
  /** What happens, in the Custgate-Simulate header's terms (`status=503`, `latency:2000`, …). */
  simulate: string;
  /** Only every n-th matching request fails. */
  every: number | null;
  /** Only the first n matching requests fail. */
  times: number | null;
  created_at: string;
}

/** A running gateway process (migration 0040), renewed every heartbeat (src/upstream/instance-heartbeat.ts). */
export interface GatewayInstancesTable {
  id: string;
  started_at: string;
  /** Its last heartbeat (ISO 8601). */
  beat_at: string;
  /** Unheard from past this, it is dead and every request it sent is over at the provider (ISO 8601). */
  dead_after: string;
}

export interface Database {
  tenants: TenantsTable;
  credentials: CredentialsTable;
  customers: CustomersTable;
  customer_events: CustomerEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  shadow_checks: ShadowChecksTable;
  shadow_diffs: ShadowDiffsTable;
  signing_keys: SigningKeysTable;
  upstreams: UpstreamsTable;
  upstream_links: UpstreamLinksTable;
  upstream_create_attempts: UpstreamCreateAttemptsTable;
  upstream_history: UpstreamHistoryTable;
  upstream_webhook_events: UpstreamWebhookEventsTable;
  upstream_imports: UpstreamImportsTable;
  upstream_import_conflicts: UpstreamImportConflictsTable;
  upstream_import_refusals: UpstreamImportRefusalsTable;
  reconcile_listed: ReconcileListedTable;
  gateway_keys: GatewayKeysTable;
  simulate_rules: SimulateRulesTable;
  upstream_versions: UpstreamVersionsTable;
  gateway_instances: GatewayInstancesTable;
}

/** For kysely's own bookkeeping tables, which we do not type. */
export type Unused = Generated<never>;
