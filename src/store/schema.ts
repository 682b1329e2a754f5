import type { Generated } from 'kysely';

// Table shapes as kysely sees them. Timestamps are ISO 8601 strings and booleans 0/1 so the same
// rows read alike on SQLite, D1 and PostgreSQL.

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
}

export interface CustomerEventsTable {
  customer_id: string;
  /** The version this change produced; (customer_id, version) is the compare-and-set guard. */
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
  /** 'pending' while the first request runs, then 'done'. */
  state: string;
  status: number | null;
  body: string | null;
  created_at: string;
  expires_at: string;
}

export interface SigningKeysTable {
  tenant_id: string;
  /** The tenant's HS256 key, base64url (32 random bytes). A secret: whoever reads it can sign. */
  secret: string;
  created_at: string;
}

export interface Database {
  tenants: TenantsTable;
  credentials: CredentialsTable;
  customers: CustomersTable;
  customer_events: CustomerEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  signing_keys: SigningKeysTable;
}

/** For kysely's own bookkeeping tables, which we do not type. */
export type Unused = Generated<never>;
