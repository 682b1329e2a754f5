import { type Kysely, sql } from 'kysely';
import type { IdKind } from '../../schemas/index.ts';
import { prepared } from './prepared.ts';
import type {
  CredentialsTable,
  CustomerEventsTable,
  CustomersTable,
  Database,
  IdempotencyKeysTable,
  SigningKeysTable,
  TenantsTable,
} from './schema.ts';

export type CustomerRow = CustomersTable;
/** A row read on SQLite's write connection, with its rowid (`findCustomerForWrite`). */
export type WriteRow = CustomerRow & { readonly _rowid?: number };
export type EventRow = CustomerEventsTable;
export type CredentialRow = CredentialsTable;
export type IdempotencyRow = IdempotencyKeysTable;
export type TenantRow = TenantsTable;
export type SigningKeyRow = SigningKeysTable;

const idColumn = {
  uuid: 'id',
  public_id: 'public_id',
  number: 'number',
  alias: 'alias',
  external_id: 'external_id',
} as const satisfies Record<IdKind, keyof CustomersTable>;

const customerColumns = [
  'id',
  'tenant_id',
  'public_id',
  'number',
  'alias',
  'external_id',
  'version',
  'data',
  'created_at',
  'updated_at',
  'livemode',
  'deleted_at',
] as const;
const eventColumns = [
  'customer_id',
  'version',
  'tenant_id',
  'action',
  'dialect',
  'credential_id',
  'changes',
  'created_at',
  'request_id',
  'idempotency_key',
] as const;
const keyColumns = ['tenant_id', 'key', 'request_hash', 'state', 'status', 'body', 'created_at', 'expires_at'] as const;

type CasColumn = 'alias' | 'external_id' | 'version' | 'data' | 'updated_at' | 'deleted_at' | 'tenant_id' | 'id';

/** The queries on every request's path, compiled once (prepared.ts). */
export function hotQueries(db: Kysely<Database>) {
  const findCustomer = (kind: IdKind) =>
    prepared<{ tenantId: string; value: string | number }, CustomerRow>(['tenantId', 'value'], (p) =>
      db.selectFrom('customers').selectAll().where('tenant_id', '=', p.tenantId).where(idColumn[kind], '=', p.value).compile(),
    );
  // SQLite's write connection (allForWrite): the row's rowid too, for the compare-and-set to find
  // the row by it (updateCustomerDataAt) instead of descending the primary key's index, a random
  // leaf on a large store (docs/performance.md, "The writer's page reads").
  const findCustomerForWrite = (kind: IdKind) =>
    prepared<{ tenantId: string; value: string | number }, WriteRow>(['tenantId', 'value'], (p) =>
      db
        .selectFrom('customers')
        .selectAll()
        .select(sql<number>`rowid`.as('_rowid'))
        .where('tenant_id', '=', p.tenantId)
        .where(idColumn[kind], '=', p.value)
        .compile(),
    );
  const updateData = (p: Pick<CustomerRow, Exclude<CasColumn, 'alias' | 'external_id'>> & { expectedVersion: number }, rowid?: number) => {
    const update = db
      .updateTable('customers')
      .set({ version: p.version, data: p.data, updated_at: p.updated_at, deleted_at: p.deleted_at });
    // The version check still decides: a rowid another row has taken since the read matches nothing.
    return (rowid === undefined ? update : update.where(sql<number>`rowid`, '=', rowid))
      .where('tenant_id', '=', p.tenant_id)
      .where('id', '=', p.id)
      .where('version', '=', p.expectedVersion)
      .compile();
  };
  return {
    // Revoked rows come back too: revoked_at may lie in the future (a rotation's grace period), so
    // the verifier compares it with the time of the request.
    findCredentialByHash: prepared<{ hash: string }, CredentialRow>(['hash'], (p) =>
      db.selectFrom('credentials').selectAll().where('secret_hash', '=', p.hash).compile(),
    ),
    findCustomer: {
      uuid: findCustomer('uuid'),
      public_id: findCustomer('public_id'),
      number: findCustomer('number'),
      alias: findCustomer('alias'),
      external_id: findCustomer('external_id'),
    } satisfies Record<IdKind, unknown>,
    findCustomerForWrite: {
      uuid: findCustomerForWrite('uuid'),
      public_id: findCustomerForWrite('public_id'),
      number: findCustomerForWrite('number'),
      alias: findCustomerForWrite('alias'),
      external_id: findCustomerForWrite('external_id'),
    } satisfies Record<IdKind, unknown>,
    lockCustomer: prepared<{ tenantId: string; value: string }, CustomerRow>(['tenantId', 'value'], (p) =>
      db.selectFrom('customers').selectAll().where('tenant_id', '=', p.tenantId).where('id', '=', p.value).forUpdate().compile(),
    ),
    insertCustomer: prepared<CustomerRow>(customerColumns, (row) => db.insertInto('customers').values(row).compile()),
    insertEvent: prepared<EventRow>(eventColumns, (event) => db.insertInto('customer_events').values(event).compile()),
    updateCustomer: prepared<Pick<CustomerRow, CasColumn> & { expectedVersion: number }>(
      ['alias', 'external_id', 'version', 'data', 'updated_at', 'deleted_at', 'tenant_id', 'id', 'expectedVersion'],
      (p) =>
        db
          .updateTable('customers')
          .set({
            alias: p.alias,
            external_id: p.external_id,
            version: p.version,
            data: p.data,
            updated_at: p.updated_at,
            deleted_at: p.deleted_at,
          })
          .where('tenant_id', '=', p.tenant_id)
          .where('id', '=', p.id)
          .where('version', '=', p.expectedVersion)
          .compile(),
    ),
    // The same without the identifiers, for a write that keeps them: SQLite rewrites the entries of
    // every index on a column the SET names, changed or not. On the bench's 1,000,000-customer file
    // that was about 55 µs of a 190 µs update (two unique indexes' leaves, random pages).
    updateCustomerData: prepared<Pick<CustomerRow, Exclude<CasColumn, 'alias' | 'external_id'>> & { expectedVersion: number }>(
      ['version', 'data', 'updated_at', 'deleted_at', 'tenant_id', 'id', 'expectedVersion'],
      (p) => updateData(p),
    ),
    updateCustomerDataAt: prepared<
      Pick<CustomerRow, Exclude<CasColumn, 'alias' | 'external_id'>> & { expectedVersion: number; rowid: number }
    >(['version', 'data', 'updated_at', 'deleted_at', 'rowid', 'tenant_id', 'id', 'expectedVersion'], (p) => updateData(p, p.rowid)),
    findKey: prepared<{ tenantId: string; key: string }, IdempotencyRow>(['tenantId', 'key'], (p) =>
      db.selectFrom('idempotency_keys').selectAll().where('tenant_id', '=', p.tenantId).where('key', '=', p.key).compile(),
    ),
    claimKey: prepared<IdempotencyRow>(keyColumns, (row) =>
      db
        .insertInto('idempotency_keys')
        .values(row)
        .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
        .compile(),
    ),
    releaseKey: prepared<{ tenantId: string; key: string; claimedAt: string }>(['tenantId', 'key', 'claimedAt'], (p) =>
      db
        .deleteFrom('idempotency_keys')
        .where('tenant_id', '=', p.tenantId)
        .where('key', '=', p.key)
        .where('state', '=', 'pending')
        // This request's claim only, never one another request took over after the lease.
        .where('created_at', '=', p.claimedAt)
        .compile(),
    ),
    finishKey: prepared<IdempotencyFinish>(['status', 'body', 'tenantId', 'key'], (k) =>
      db
        .updateTable('idempotency_keys')
        .set({ state: 'done', status: k.status, body: k.body })
        .where('tenant_id', '=', k.tenantId)
        .where('key', '=', k.key)
        .compile(),
    ),
  };
}

/** An idempotency key's answer, stored when its write commits (write-unit.ts's `idempotency`). */
export interface IdempotencyFinish {
  readonly tenantId: string;
  readonly key: string;
  readonly status: number;
  readonly body: string;
}
