import { queryBuilder } from './compiler.ts';
import type { CredentialRow, Store, TenantRow } from './store.ts';

// The operator's view of tenants and credentials (CLI `tenant list`, `credentials …`): rare,
// never on a request's path, so built per call.

export interface TenantSummary extends TenantRow {
  readonly customers: number;
  /** Credentials that verify now or until their grace period ends. */
  readonly active_credentials: number;
}

export async function listTenants(store: Store, now: Date): Promise<TenantSummary[]> {
  const db = queryBuilder(store.executor.backend);
  const at = now.toISOString();
  const q = db
    .selectFrom('tenants as t')
    .select(['t.id', 't.name', 't.created_at'])
    .select((eb) => [
      eb.selectFrom('customers as c').whereRef('c.tenant_id', '=', 't.id').select(eb.fn.countAll<number>().as('n')).as('customers'),
      eb
        .selectFrom('credentials as k')
        .whereRef('k.tenant_id', '=', 't.id')
        .where((w) => w.or([w('k.revoked_at', 'is', null), w('k.revoked_at', '>', at)]))
        .select(eb.fn.countAll<number>().as('n'))
        .as('active_credentials'),
    ])
    .orderBy('t.created_at')
    .orderBy('t.id')
    .compile();
  const rows = await store.executor.all(q);
  return rows.map((r) => ({ ...r, customers: Number(r.customers ?? 0), active_credentials: Number(r.active_credentials ?? 0) }));
}

/** The tenant a reference names: its id, or a name only one tenant has. */
export async function findTenant(store: Store, ref: string): Promise<TenantRow> {
  const db = queryBuilder(store.executor.backend);
  const q = db
    .selectFrom('tenants')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
    .compile();
  const rows = await store.executor.all(q);
  const byId = rows.find((r) => r.id === ref);
  if (byId) return byId;
  if (rows.length === 1) return rows[0]!;
  if (rows.length === 0) throw new Error(`no tenant with the id or name "${ref}" (custgate tenant list)`);
  throw new Error(`${rows.length} tenants are named "${ref}": name one by its id (${rows.map((r) => r.id).join(', ')})`);
}

export type CredentialInfo = Omit<CredentialRow, 'secret_hash'>;

/** A tenant's stored credentials (API keys), newest first, without their hashes. */
export async function listCredentials(store: Store, tenantId: string, kind?: string): Promise<CredentialInfo[]> {
  const db = queryBuilder(store.executor.backend);
  let q = db
    .selectFrom('credentials')
    .select(['id', 'tenant_id', 'kind', 'prefix', 'livemode', 'created_at', 'revoked_at'])
    .where('tenant_id', '=', tenantId);
  if (kind !== undefined) q = q.where('kind', '=', kind);
  return store.executor.all(q.orderBy('created_at', 'desc').orderBy('id').compile());
}

/**
 * Marks credentials revoked from `at` on (a time in the future is a grace period). Only those of
 * this tenant that are not already revoked earlier; returns how many changed.
 */
export async function revokeCredentials(
  store: Store,
  tenantId: string,
  select: { readonly ids?: readonly string[]; readonly kind?: string },
  at: Date,
): Promise<number> {
  const db = queryBuilder(store.executor.backend);
  const when = at.toISOString();
  let q = db
    .updateTable('credentials')
    .set({ revoked_at: when })
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', when)]));
  if (select.ids !== undefined) {
    if (select.ids.length === 0) return 0;
    q = q.where('id', 'in', select.ids);
  }
  if (select.kind !== undefined) q = q.where('kind', '=', select.kind);
  return store.executor.run(q.compile());
}

/**
 * Whether the tenant has anything of live mode: a live credential (issued, revoked or not) or a
 * live customer (a live JWT is stored nowhere, but what it wrote is). Until then a test key is the
 * only kind the tenant has, and what it manages can reach no live customer's data.
 */
export async function hasLiveMode(store: Store, tenantId: string): Promise<boolean> {
  const db = queryBuilder(store.executor.backend);
  const credential = db.selectFrom('credentials').select('id').where('tenant_id', '=', tenantId).where('livemode', '=', 1).limit(1);
  if ((await store.executor.all(credential.compile())).length > 0) return true;
  return (await store.executor.all(liveCustomerQuery(store, tenantId))).length > 0;
}

/** One live customer of the tenant, if any: read in customers_tenant_livemode (migration 0057), not across the tenant's customers. */
export const liveCustomerQuery = (store: Store, tenantId: string) =>
  queryBuilder(store.executor.backend)
    .selectFrom('customers')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('livemode', '=', 1)
    .limit(1)
    .compile();
