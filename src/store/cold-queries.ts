import type { CompiledQuery, ExpressionBuilder, Kysely } from 'kysely';
import type { CustomerRow, EventRow, IdempotencyRow, SigningKeyRow } from './hot-queries.ts';
import type { Database } from './schema.ts';

// The Store's queries off the request path (admin, history, listing, key take-over), built per
// call from the query builder; the per-request ones are prepared once (hot-queries.ts).

/** How many rows a count query found (both backends name the count `n`). */
export const countOf = (rows: readonly { readonly n?: unknown }[]): number => Number(rows[0]?.n ?? 0);

export const countTenants = (db: Kysely<Database>) =>
  db
    .selectFrom('tenants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .compile();

/** A tenant's signing key unless it has one already (two signers racing keep the first). */
export const insertSigningKey = (db: Kysely<Database>, key: SigningKeyRow) =>
  db
    .insertInto('signing_keys')
    .values(key)
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .compile();

export const nextNumber = (db: Kysely<Database>, tenantId: string) =>
  db
    .selectFrom('customers')
    .select((eb) => eb.fn.max('number').as('n'))
    .where('tenant_id', '=', tenantId)
    .compile();

export interface CustomerPage {
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly below?: number;
  readonly above?: number;
  readonly offset?: number;
  /** Only the customers of this mode (and those from before modes were recorded, livemode null). */
  readonly livemode?: boolean;
}

/** One seek on the (tenant_id, number) unique index; `below`/`above` are exclusive bounds. */
export function listCustomers(db: Kysely<Database>, tenantId: string, page: CustomerPage): CompiledQuery<CustomerRow> {
  let q = db.selectFrom('customers').selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  if (page.livemode !== undefined) q = q.where(inModeOf(page.livemode));
  if (page.below !== undefined) q = q.where('number', '<', page.below);
  if (page.above !== undefined) q = q.where('number', '>', page.above);
  q = q.orderBy('number', page.order).limit(page.limit);
  if (page.offset !== undefined && page.offset > 0) q = q.offset(page.offset);
  return q.compile();
}

export const countCustomers = (db: Kysely<Database>, tenantId: string, livemode?: boolean) => {
  const q = db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null);
  return (livemode === undefined ? q : q.where(inModeOf(livemode))).compile();
};

/** A key's mode sees its own customers and those created before modes were recorded (core/write-checks.ts inMode). */
export const inModeOf = (livemode: boolean) => (eb: ExpressionBuilder<Database, 'customers'>) =>
  eb.or([eb('livemode', 'is', null), eb('livemode', '=', livemode ? 1 : 0)]);

/** A customer's history, oldest first: one version (`at`), the versions after one (`after`) up to another (`through`), or all. */
export function events(
  db: Kysely<Database>,
  tenantId: string,
  customerId: string,
  versions: { readonly at?: number; readonly after?: number; readonly through?: number } = {},
): CompiledQuery<EventRow> {
  let q = db.selectFrom('customer_events').selectAll().where('tenant_id', '=', tenantId).where('customer_id', '=', customerId);
  if (versions.at !== undefined) q = q.where('version', '=', versions.at);
  if (versions.after !== undefined) q = q.where('version', '>', versions.after);
  if (versions.through !== undefined) q = q.where('version', '<=', versions.through);
  return q.orderBy('version', 'asc').compile();
}

/** Takes over a key whose holder gave up (pending past its lease) or that expired: only if unchanged since read. */
export const reclaimKey = (db: Kysely<Database>, row: IdempotencyRow, previous: IdempotencyRow) =>
  db
    .updateTable('idempotency_keys')
    .set({
      request_hash: row.request_hash,
      state: 'pending',
      status: null,
      body: null,
      created_at: row.created_at,
      expires_at: row.expires_at,
    })
    .where('tenant_id', '=', row.tenant_id)
    .where('key', '=', row.key)
    .where('created_at', '=', previous.created_at)
    .where('state', '=', previous.state)
    .compile();

export const markKeySent = (db: Kysely<Database>, tenantId: string, key: string) =>
  db
    .updateTable('idempotency_keys')
    .set({ state: 'sent' })
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .where('state', '=', 'pending')
    .compile();
