import { CreateAttemptRepository } from './create-attempts.ts';
import { ImportRepository } from './imports.ts';
import { InstanceRepository } from './instances.ts';
import { type Kysely, sql } from 'kysely';
import type { IdKind } from '../../schemas/index.ts';
import { queryBuilder } from './compiler.ts';
import * as cold from './cold-queries.ts';
import { EpochCache } from './read-cache.ts';
import type { SqlExecutor, Step } from './executor.ts';
import { OutboxStore } from './outbox.ts';
import { type ShadowRepository, shadowRepository } from './shadow-checks.ts';
import { linkInsert } from './upstream-links.ts';
import { UpstreamRepository } from './upstreams.ts';
import { findRetiringSigningKey, type RetiringKey } from './signing-keys.ts';
import type { Database } from './schema.ts';
import {
  type CredentialRow,
  type CustomerRow,
  type WriteRow,
  type EventRow,
  hotQueries,
  type IdempotencyRow,
  type SigningKeyRow,
  type TenantRow,
} from './hot-queries.ts';
import type { UpdateUnit, WritePlan } from './write-unit.ts';

export type { CredentialRow, CustomerRow, EventRow, IdempotencyRow, SigningKeyRow, TenantRow } from './hot-queries.ts';
export type { UpdateUnit, WritePlan } from './write-unit.ts';

/** How a customer is read: afresh, from the read cache when nothing changed, or for a write (Store.findCustomer). */
export type Lookup = 'fresh' | 'reuse' | 'write';

/** Customer rows kept per process for reads (CUSTGATE_READ_CACHE_SIZE; about 2–3 KB each). */
export const defaultReadCacheSize = 1024;

/**
 * Every read and write the gateway makes, as compiled kysely queries run by one executor.
 * Every customer query names its tenant: there is no path that reads across tenants.
 */
export class Store {
  readonly executor: SqlExecutor;
  readonly outbox: OutboxStore;
  /** Comparisons with shadow upstreams' copies (src/core/shadow-diff.ts). */
  readonly shadow: ShadowRepository;
  readonly #db: Kysely<Database>;
  readonly #q: ReturnType<typeof hotQueries>;
  /** Upstream providers and links (src/upstream/). */
  readonly upstreams: UpstreamRepository;
  /** Where each upstream import stands (src/upstream/import.ts). */
  readonly imports: ImportRepository;
  /** Creates sent to an upstream whose answer is not stored yet (src/upstream/attempts.ts). */
  readonly attempts: CreateAttemptRepository;
  /** Running gateway processes and their heartbeats (src/upstream/instance-heartbeat.ts). */
  readonly instances: InstanceRepository;

  /** Rows by (tenant, id kind, value), on backends with a read epoch (read-cache.ts). */
  readonly #rows: EpochCache<CustomerRow>;

  constructor(executor: SqlExecutor, options: { readonly readCacheSize?: number } = {}) {
    this.executor = executor;
    this.#rows = new EpochCache(executor.readEpoch ? (options.readCacheSize ?? defaultReadCacheSize) : 0);
    this.#db = queryBuilder(executor.backend);
    this.#q = hotQueries(this.#db);
    this.outbox = new OutboxStore(executor, this.#db);
    this.shadow = shadowRepository(executor, this.#db);
    this.upstreams = new UpstreamRepository(executor, this.#db);
    this.imports = new ImportRepository(executor, this.#db);
    this.attempts = new CreateAttemptRepository(executor, this.#db);
    this.instances = new InstanceRepository(executor, this.#db);
  }

  /** A round trip to the database (readiness, health): rejects when it cannot answer. */
  async ping(): Promise<void> {
    await this.executor.all(sql`select 1 as one`.compile(this.#db));
  }

  // --- tenants and credentials

  async insertTenant(tenant: TenantRow): Promise<void> {
    await this.executor.run(this.#db.insertInto('tenants').values(tenant).compile());
  }

  async findTenant(id: string): Promise<TenantRow | undefined> {
    const q = this.#db.selectFrom('tenants').selectAll().where('id', '=', id).compile();
    return (await this.executor.all(q))[0];
  }

  async findTenantsByName(name: string): Promise<TenantRow[]> {
    return this.executor.all(this.#db.selectFrom('tenants').selectAll().where('name', '=', name).compile());
  }

  async countTenants(): Promise<number> {
    return cold.countOf(await this.executor.all(cold.countTenants(this.#db)));
  }

  async insertCredential(credential: CredentialRow): Promise<void> {
    await this.executor.run(this.#db.insertInto('credentials').values(credential).compile());
  }

  async findCredentialByHash(secretHash: string): Promise<CredentialRow | undefined> {
    return (await this.executor.all(this.#q.findCredentialByHash({ hash: secretHash })))[0];
  }

  /** Stores a tenant's signing key unless it has one already (two signers racing keep the first). */
  async insertSigningKey(key: SigningKeyRow): Promise<void> {
    await this.executor.run(cold.insertSigningKey(this.#db, key));
  }

  async findSigningKey(tenantId: string): Promise<SigningKeyRow | undefined> {
    const q = this.#db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).compile();
    return (await this.executor.all(q))[0];
  }

  /** The key a rotation replaced, while its overlap lasts (signing-keys.ts). */
  async findRetiringSigningKey(tenantId: string): Promise<RetiringKey | undefined> {
    return findRetiringSigningKey(this, tenantId);
  }

  // --- customers

  /**
   * `reuse`: a retrieve may get the row a read kept while nothing changed (read-cache.ts). `write`:
   * the row a write is about to be planned from, read where the backend's write connection has
   * the warmer cache (executor.ts, `allForWrite`); the write's version check still decides. A
   * write reads afresh: the epoch moves with every commit, so checking it would only add to its cost.
   */
  async findCustomer(tenantId: string, kind: IdKind, value: string | number, how: Lookup = 'fresh'): Promise<CustomerRow | undefined> {
    if (how === 'write' && this.executor.allForWrite)
      return (await this.executor.allForWrite(this.#q.findCustomerForWrite[kind]({ tenantId, value })))[0];
    if (how !== 'reuse' || !this.#rows.enabled) return (await this.executor.all(this.#q.findCustomer[kind]({ tenantId, value })))[0];
    // The epoch first: a commit between it and the select moves it, so the row is never kept past it.
    const epoch = this.executor.readEpoch!();
    const key = `${tenantId}\n${kind}\n${value}`;
    const kept = this.#rows.get(epoch, key);
    if (kept) return kept;
    const row = (await this.executor.all(this.#q.findCustomer[kind]({ tenantId, value })))[0];
    // Shared by every read that hits it: frozen, so no caller can change it for the others.
    if (row) this.#rows.set(epoch, key, Object.freeze(row));
    return row;
  }

  async nextNumber(tenantId: string): Promise<number> {
    return cold.countOf(await this.executor.all(cold.nextNumber(this.#db, tenantId))) + 1;
  }

  /**
   * A page of a tenant's customers by `number` (which only grows): `below`/`above` bound it
   * (exclusive), `offset` skips. One seek on the (tenant_id, number) unique index.
   */
  async listCustomers(tenantId: string, page: cold.CustomerPage): Promise<CustomerRow[]> {
    return this.executor.all(cold.listCustomers(this.#db, tenantId, page));
  }

  /** A tenant's customers not deleted; with `livemode`, those a key of that mode sees. */
  async countCustomers(tenantId: string, livemode?: boolean): Promise<number> {
    return cold.countOf(await this.executor.all(cold.countCustomers(this.#db, tenantId, livemode)));
  }

  /** Inserts a new customer with its first event (and idempotent response) atomically. */
  async insertCustomer(unit: Omit<UpdateUnit, 'expectedVersion'>): Promise<void> {
    const steps: Step[] = [{ query: this.#q.insertCustomer(unit.row) }, { query: this.#q.insertEvent(unit.event) }];
    if (unit.link) steps.push({ query: linkInsert(this.#db, unit.link) });
    if (unit.idempotency) steps.push(this.#finishKey(unit.idempotency));
    for (const delivery of unit.deliveries ?? []) steps.push(this.outbox.insertStep(delivery));
    if (unit.extra) steps.push(...unit.extra);
    await this.executor.atomic(steps);
  }

  /**
   * Compare-and-set: the event for the new version goes in first, and (tenant_id, customer_id, version) is
   * its primary key, so of two writers that read the same version only one can commit; the
   * update's version check guards the same on backends that report changed rows.
   */
  async updateCustomer(unit: UpdateUnit): Promise<void> {
    await this.executor.atomic(this.#updateSteps(unit));
  }

  /** True when the backend can lock a customer's row for every process (PostgreSQL). */
  get locksRows(): boolean {
    return this.executor.exclusive !== undefined;
  }

  /**
   * Reads the customer with its row locked, lets `plan` decide the writes, and commits them
   * before the lock is released: no other writer, in any process, can come between the read and
   * the write. Only where locksRows; waits for the lock at most `waitMs` (LockTimeout).
   */
  async updateLocked<T>(tenantId: string, id: string, plan: (row: CustomerRow | undefined) => WritePlan<T>, waitMs: number): Promise<T> {
    if (!this.executor.exclusive) throw new Error(`${this.executor.backend}: no row locks`);
    return this.executor.exclusive(
      this.#q.lockCustomer({ tenantId, value: id }),
      (rows) => {
        const decided = plan(rows[0]);
        const steps = decided.unit ? this.#updateSteps(decided.unit) : decided.finish ? [this.#finishKey(decided.finish)] : [];
        return { steps, value: decided.value };
      },
      waitMs,
    );
  }

  #updateSteps(unit: UpdateUnit): Step[] {
    const { row } = unit;
    const cas = {
      version: row.version,
      data: row.data,
      updated_at: row.updated_at,
      deleted_at: row.deleted_at,
      tenant_id: row.tenant_id,
      id: row.id,
      expectedVersion: unit.expectedVersion,
    };
    // The version check makes `previous` the row being replaced, so equal identifiers need no write.
    const keepsIds = unit.previous !== undefined && unit.previous.alias === row.alias && unit.previous.external_id === row.external_id;
    const rowid = (unit.previous as WriteRow | undefined)?._rowid;
    const update = !keepsIds
      ? this.#q.updateCustomer({ ...cas, alias: row.alias, external_id: row.external_id })
      : typeof rowid === 'number'
        ? this.#q.updateCustomerDataAt({ ...cas, rowid })
        : this.#q.updateCustomerData(cas);
    const steps: Step[] = [{ query: this.#q.insertEvent(unit.event) }, { query: update, mustChange: true }];
    if (unit.idempotency) steps.push(this.#finishKey(unit.idempotency));
    for (const delivery of unit.deliveries ?? []) steps.push(this.outbox.insertStep(delivery));
    if (unit.extra) steps.push(...unit.extra);
    if (unit.link) steps.push({ query: linkInsert(this.#db, unit.link) });
    return steps;
  }

  async findEvent(tenantId: string, customerId: string, version: number): Promise<EventRow | undefined> {
    return (await this.executor.all(cold.events(this.#db, tenantId, customerId, { at: version })))[0];
  }

  /** A customer's change history after a version (up to `through`), oldest first (what a delivery has not sent yet). */
  async eventsAfter(tenantId: string, customerId: string, version: number, through?: number): Promise<EventRow[]> {
    return this.executor.all(
      cold.events(this.#db, tenantId, customerId, { after: version, ...(through !== undefined ? { through } : {}) }),
    );
  }

  async listEvents(tenantId: string, customerId: string): Promise<EventRow[]> {
    return this.executor.all(cold.events(this.#db, tenantId, customerId));
  }

  // --- idempotency keys

  async findKey(tenantId: string, key: string): Promise<IdempotencyRow | undefined> {
    return (await this.executor.all(this.#q.findKey({ tenantId, key })))[0];
  }

  /** Claims a key for a first request; false when another request holds it already. */
  async claimKey(row: IdempotencyRow): Promise<boolean> {
    return (await this.executor.run(this.#q.claimKey(row))) > 0;
  }

  /** Takes over a key whose holder gave up (pending past its lease) or that expired. */
  async reclaimKey(row: IdempotencyRow, previous: IdempotencyRow): Promise<boolean> {
    return (await this.executor.run(cold.reclaimKey(this.#db, row, previous))) > 0;
  }

  /**
   * The key's write reached a proxy upstream and then failed, so the provider may hold it: the
   * key is kept as `sent` (not released), and a retry with it recovers rather than sends again.
   */
  async markKeySent(tenantId: string, key: string): Promise<void> {
    await this.executor.run(cold.markKeySent(this.#db, tenantId, key));
  }

  /** Drops a request's pending claim of a key (`claimedAt`: its created_at), so the key may be used again. */
  async releaseKey(tenantId: string, key: string, claimedAt: string): Promise<void> {
    await this.executor.run(this.#q.releaseKey({ tenantId, key, claimedAt }));
  }

  /** Drops change-history rows written before the given time (CUSTGATE_EVENT_RETENTION_DAYS). */
  async purgeEventsBefore(before: string): Promise<number> {
    return this.executor.run(this.#db.deleteFrom('customer_events').where('created_at', '<', before).compile());
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
    return { query: this.#q.finishKey(k), mustChange: true };
  }
}
