// The tables of a tenant's upstreams (src/upstream/, src/store/upstreams.ts and its neighbours), as
// kysely sees them: the upstreams and their history, links, create attempts, webhook events,
// imports and reconciliation runs. Conventions as in schema.ts.

/** Raised with every change to a tenant's upstreams (migration 0023): what a process's cache of them is checked against. */
export interface UpstreamVersionsTable {
  tenant_id: string;
  version: number;
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
  /** The mode of the key that sent it (migration 0057: 1 live, 0 test; null before): whose it is when its customer is not stored here. */
  livemode: number | null;
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
  /** At most this many customers a second, as the run that started it (or last resumed it by hand) asked; null: no limit. */
  rate: number | null;
  /** Who started it: 'http' (a gateway resumes it) or 'cli' (not: its ^C means stop); null before migration 0059. */
  origin: string | null;
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

/** A provider customer an import left out because this gateway cannot store it as the provider holds it (src/upstream/import-refusals.ts). */
export interface UpstreamImportRefusalsTable {
  upstream_id: string;
  /** The customer's id at the provider. */
  remote_id: string;
  tenant_id: string;
  /** What in it cannot be stored. */
  reason: string;
  found_at: string;
}
