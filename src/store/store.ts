import type { Kysely } from 'kysely';
import type { IdKind } from '../../schemas/index.ts';
import { queryBuilder } from './compiler.ts';
import type { SqlExecutor, Step } from './executor.ts';
import type {
  CredentialsTable,
  CustomerEventsTable,
  CustomersTable,
  Database,
  IdempotencyKeysTable,
  TenantsTable,
} from './schema.ts';

export type CustomerRow = CustomersTable;
export type EventRow = CustomerEventsTable;
export type CredentialRow = CredentialsTable;
export type IdempotencyRow = IdempotencyKeysTable;
export type TenantRow = TenantsTable;

const idColumn = {
  uuid: 'id',
  public_id: 'public_id',
  number: 'number',
  alias: 'alias',
  external_id: 'external_id',
} as const satisfies Record<IdKind, keyof CustomersTable>;

export interface UpdateUnit {
  readonly row: CustomerRow;
  readonly expectedVersion: number;
  readonly event: EventRow;
  readonly idempotency?: { readonly tenantId: string; readonly key: string; readonly status: number; readonly body: string };
}

/**
 * Every read and write the gateway makes, as compiled kysely queries run by one executor.
 * Every customer query names its tenant: there is no path that reads across tenants.
 */
export class Store {
  readonly executor: SqlExecutor;
  readonly #db: Kysely<Database>;

  constructor(executor: SqlExecutor) {
    this.executor = executor;
    this.#db = queryBuilder(executor.backend);
  }

  // --- tenants and credentials

  async insertTenant(tenant: TenantRow): Promise<void> {
    await this.executor.run(this.#db.insertInto('tenants').values(tenant).compile());
  }

  async findTenant(id: string): Promise<TenantRow | undefined> {
    const q = this.#db.selectFrom('tenants').selectAll().where('id', '=', id).compile();
    return (await this.executor.all(q))[0];
  }

  async countTenants(): Promise<number> {
    const q = this.#db.selectFrom('tenants').select((eb) => eb.fn.countAll<number>().as('n')).compile();
    return Number((await this.executor.all(q))[0]?.n ?? 0);
  }

  async insertCredential(credential: CredentialRow): Promise<void> {
    await this.executor.run(this.#db.insertInto('credentials').values(credential).compile());
  }

  async findCredentialByHash(secretHash: string): Promise<CredentialRow | undefined> {
    const q = this.#db
      .selectFrom('credentials')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .where('revoked_at', 'is', null)
      .compile();
    return (await this.executor.all(q))[0];
  }

  // --- customers

  async findCustomer(tenantId: string, kind: IdKind, value: string | number): Promise<CustomerRow | undefined> {
    const q = this.#db
      .selectFrom('customers')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where(idColumn[kind], '=', value)
      .compile();
    return (await this.executor.all(q))[0];
  }

  async nextNumber(tenantId: string): Promise<number> {
    const q = this.#db
      .selectFrom('customers')
      .select((eb) => eb.fn.max('number').as('n'))
      .where('tenant_id', '=', tenantId)
      .compile();
    return Number((await this.executor.all(q))[0]?.n ?? 0) + 1;
  }

  /** Inserts a new customer with its first event (and idempotent response) atomically. */
  async insertCustomer(unit: Omit<UpdateUnit, 'expectedVersion'>): Promise<void> {
    const steps: Step[] = [
      { query: this.#db.insertInto('customers').values(unit.row).compile() },
      { query: this.#db.insertInto('customer_events').values(unit.event).compile() },
    ];
    if (unit.idempotency) steps.push(this.#finishKey(unit.idempotency));
    await this.executor.atomic(steps);
  }

  /**
   * Compare-and-set: the event for the new version goes in first, and (customer_id, version) is
   * its primary key, so of two writers that read the same version only one can commit; the
   * update's version check guards the same on backends that report changed rows.
   */
  async updateCustomer(unit: UpdateUnit): Promise<void> {
    const { row } = unit;
    const steps: Step[] = [
      { query: this.#db.insertInto('customer_events').values(unit.event).compile() },
      {
        query: this.#db
          .updateTable('customers')
          .set({
            alias: row.alias,
            external_id: row.external_id,
            version: row.version,
            data: row.data,
            updated_at: row.updated_at,
          })
          .where('tenant_id', '=', row.tenant_id)
          .where('id', '=', row.id)
          .where('version', '=', unit.expectedVersion)
          .compile(),
        mustChange: true,
      },
    ];
    if (unit.idempotency) steps.push(this.#finishKey(unit.idempotency));
    await this.executor.atomic(steps);
  }

  async listEvents(tenantId: string, customerId: string): Promise<EventRow[]> {
    const q = this.#db
      .selectFrom('customer_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('customer_id', '=', customerId)
      .orderBy('version', 'asc')
      .compile();
    return this.executor.all(q);
  }

  // --- idempotency keys

  async findKey(tenantId: string, key: string): Promise<IdempotencyRow | undefined> {
    const q = this.#db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .compile();
    return (await this.executor.all(q))[0];
  }

  /** Claims a key for a first request; false when another request holds it already. */
  async claimKey(row: IdempotencyRow): Promise<boolean> {
    const q = this.#db
      .insertInto('idempotency_keys')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .compile();
    return (await this.executor.run(q)) > 0;
  }

  /** Takes over a key whose holder gave up (pending past its lease) or that expired. */
  async reclaimKey(row: IdempotencyRow, previous: IdempotencyRow): Promise<boolean> {
    const q = this.#db
      .updateTable('idempotency_keys')
      .set({ request_hash: row.request_hash, state: 'pending', status: null, body: null, created_at: row.created_at, expires_at: row.expires_at })
      .where('tenant_id', '=', row.tenant_id)
      .where('key', '=', row.key)
      .where('created_at', '=', previous.created_at)
      .where('state', '=', previous.state)
      .compile();
    return (await this.executor.run(q)) > 0;
  }

  async releaseKey(tenantId: string, key: string): Promise<void> {
    const q = this.#db
      .deleteFrom('idempotency_keys')
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .where('state', '=', 'pending')
      .compile();
    await this.executor.run(q);
  }

  async purgeExpiredKeys(now: string): Promise<number> {
    const q = this.#db.deleteFrom('idempotency_keys').where('expires_at', '<', now).compile();
    return this.executor.run(q);
  }

  /** Stores the response of a request that changed nothing (so wrote no customer row). */
  async finishKey(k: NonNullable<UpdateUnit['idempotency']>): Promise<void> {
    await this.executor.atomic([this.#finishKey(k)]);
  }

  #finishKey(k: NonNullable<UpdateUnit['idempotency']>): Step {
    return {
      query: this.#db
        .updateTable('idempotency_keys')
        .set({ state: 'done', status: k.status, body: k.body })
        .where('tenant_id', '=', k.tenantId)
        .where('key', '=', k.key)
        .compile(),
      mustChange: true,
    };
  }
}
