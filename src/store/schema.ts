import type { Generated } from 'kysely';

// Table shapes as kysely sees them. Timestamps are ISO 8601 strings and booleans 0/1 so the same
// rows read alike on SQLite, D1 and PostgreSQL.

/** Raised with every change to a tenant's upstreams (migration 0023): what a process's cache of them is checked against. */
export interface UpstreamVersionsTable {
  tenant_id: string;
  version: number;
}

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

/** One delivery of one committed version of a customer to one mirror/shadow upstream (#17). */
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

export interface UpstreamsTable {
  id: string;
  tenant_id: string;
  dialect: string;
  base_url: string;
  /** 'proxy' | 'mirror' | 'shadow'. */
  mode: string;
  /** The credentials JSON, AES-GCM encrypted (src/upstream/secrets.ts): never plain text. */
  credentials: string;
  created_at: string;
  /** Set when the upstream was removed: the row and its links stay for an add of the same provider. */
  removed_at: string | null;
  /** 'json' | 'form': the request body encoding (form only for dialects that take Stripe's form). */
  encoding: string;
  /** The secret the provider signs its webhooks with, sealed as the credentials are (migration 0016). */
  webhook_secret?: string | null | undefined;
}

/** An event an upstream sent in (migration 0016): a replay of its id, or an older one, changes nothing. */
export interface UpstreamWebhookEventsTable {
  upstream_id: string;
  event_id: string;
  tenant_id: string;
  remote_id: string;
  type: string;
  /** The provider's time of the event, in seconds. */
  event_created: number;
  /** 'applied' | 'drift' | 'stale' | 'ignored'. */
  outcome: string;
  received_at: string;
}

/** One step of an upstream's life: added, mode changed, removed (and what later steps record). */
export interface UpstreamHistoryTable {
  id: string;
  upstream_id: string;
  tenant_id: string;
  event: string;
  /** The mode after this step. */
  mode: string;
  previous_mode: string | null;
  detail: string | null;
  created_at: string;
}

export interface UpstreamLinksTable {
  upstream_id: string;
  /** The canonical customer's UUID. */
  customer_id: string;
  tenant_id: string;
  /** The customer's id at the upstream. */
  remote_id: string;
  created_at: string;
  /**
   * The import run that linked a local customer to the provider's (`--on-conflict link`): its
   * started_at (src/upstream/import-one.ts), what its `linked` counts; null for every other link.
   */
  import_started_at: string | null;
}

/** A create sent to an upstream for a customer it has no link for, whose answer has not been stored yet (src/upstream/attempts.ts). */
export interface UpstreamCreateAttemptsTable {
  upstream_id: string;
  /** The canonical customer's UUID. */
  customer_id: string;
  tenant_id: string;
  /** When the create was about to be sent (ISO 8601). */
  attempted_at: string;
  /** The Idempotency-Key forwarded with it, where the provider takes one. */
  idempotency_key: string | null;
  /** The canonical fields the create carried, as JSON (the marker as external_id where there is one). */
  sent: string;
  /** The request sending it now (migration 0028); null once it failed, or for a mirror delivery's. */
  claim_id: string | null;
  /** Until when that request holds it (ISO 8601): a claim past this is a crashed owner's. */
  claimed_until: string | null;
  /** The gateway process (gateway_instances.id) whose request holds it (migration 0040); null on Workers. */
  claim_owner: string | null;
}

/** The ids an upstream listed during one reconciliation run (src/outbox/reconcile.ts), dropped at its end. */
export interface ReconcileListedTable {
  run_id: string;
  remote_id: string;
  created_at: string;
}

/** Where an import of an upstream's customer list stands (src/upstream/import.ts). */
export interface UpstreamImportsTable {
  upstream_id: string;
  tenant_id: string;
  /** 'running' | 'done' | 'failed'. */
  state: string;
  /** The client half's token for the next page; null before the first and after the last. */
  next_token: string | null;
  pages: number;
  /** Customers read from the upstream's pages so far. */
  seen: number;
  /** Of them, stored and linked by this import (the rest were linked already). */
  imported: number;
  last_error: string | null;
  started_at: string;
  updated_at: string;
  /** 1 when the imported customers belong to the tenant's live keys, 0 for test keys. */
  livemode: number;
  /** Who runs the import now (src/upstream/import-lease.ts); null when no one does. */
  lease_owner: string | null;
  /** Until when the holder's claim lasts (ISO time); a lapsed one may be taken over. */
  lease_until: string | null;
  /** What the run does with a provider customer whose alias or external_id a local one holds: 'report' | 'link'. */
  on_conflict: string;
  /** The last page read of a list paged by position: its token ('' for the first page), its last customer, the list's count. */
  anchor_token: string | null;
  anchor_last: string | null;
  anchor_total: number | null;
}

/** A provider customer an import left out: a local customer holds its alias or external_id (src/upstream/import-conflicts.ts). */
export interface UpstreamImportConflictsTable {
  upstream_id: string;
  /** The customer's id at the provider. */
  remote_id: string;
  /** 'alias' | 'external_id'. */
  key: string;
  tenant_id: string;
  value: string;
  /** The local customer holding it: its UUID and its public id. */
  customer_id: string;
  public_id: string;
  /** Why `--on-conflict link` could not link them (null: it was not asked to). */
  reason: string | null;
  found_at: string;
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
  reconcile_listed: ReconcileListedTable;
  gateway_keys: GatewayKeysTable;
  simulate_rules: SimulateRulesTable;
  upstream_versions: UpstreamVersionsTable;
  gateway_instances: GatewayInstancesTable;
}

/** For kysely's own bookkeeping tables, which we do not type. */
export type Unused = Generated<never>;
