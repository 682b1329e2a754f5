import { type Customer, type CustomerFields, type CustomerPatch, fieldDefaults, type IdKind } from '../../schemas/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import type { ReplicaTarget } from './replicas.ts';
import { type CustomerRow, type Lookup, MissingReference, type Store, UniqueViolation } from '../store/index.ts';
import { diffFields, type FieldChange } from './apply-patch.ts';
import { customerToRow, rowToCustomer } from './customer-row.ts';
import { deliveries, eventRow, keptResponse, planDelete, planUpdate, recordedRows } from './write-plans.ts';
import { type Caller, checkGrowth, checkInvariants, conflict, deletedCustomer, ghostTenant, inMode, notFound } from './write-checks.ts';
import type { Recorder, ServiceOptions, Write, WriteRequest, WriteRoute } from './write-request.ts';
import { KeptCustomers } from './kept-customers.ts';
import { idValue, uuidPattern } from './ids.ts';
import { backoff } from './write-queue.ts';
import { WriteRunner } from './write-runner.ts';
import { createdFields, newCustomer } from './new-customer.ts';

export { type Caller, checkInvariants } from './write-checks.ts';
export type { EventSink, KeptResponse, ServiceOptions, WriteRequest, WriteRoute, WrittenEvent } from './write-request.ts';

/** Resolves, reads and writes customers of one tenant at a time. */
export class CustomerService {
  readonly #store: Store;
  readonly #options: ServiceOptions;
  readonly #writes: WriteRunner;
  /** Per tenant with creates in flight here: the last number handed to them, and how many run (see #nextNumber). */
  readonly #numbers = new Map<string, { last: number; creates: number }>();
  readonly #kept: KeptCustomers;

  constructor(store: Store, options: ServiceOptions) {
    this.#store = store;
    this.#options = options;
    this.#writes = new WriteRunner(store, options);
    this.#kept = new KeptCustomers(options.readCacheSize ?? 0);
  }

  /**
   * The customer a path segment names within the caller's tenant and mode, trying id kinds in the
   * given order. A customer of the other mode is not there for this key, as in Stripe, where test
   * and live data are apart (https://docs.stripe.com/keys#test-live-modes): the same 404.
   */
  async resolve(caller: Caller, kinds: readonly IdKind[], segment: string, how: Lookup = 'fresh'): Promise<CustomerRow> {
    const row = await this.find(caller, kinds, segment, how);
    if (row.deleted_at !== null) throw deletedCustomer(segment);
    return row;
  }

  /** As resolve, but a deleted customer's tombstone is found too; `how`: as Store.findCustomer. */
  async find(caller: Caller, kinds: readonly IdKind[], segment: string, how: Lookup = 'fresh'): Promise<CustomerRow> {
    for (const kind of kinds) {
      const value = idValue(kind, segment);
      if (value === undefined) continue;
      const row = await this.#store.findCustomer(caller.tenantId, kind, value, how);
      if (row && inMode(row, caller.livemode)) return row;
    }
    throw notFound(segment);
  }

  async get(principal: Principal, kinds: readonly IdKind[], segment: string): Promise<Customer> {
    return rowToCustomer(await this.resolve(principal, kinds, segment));
  }

  /**
   * The customer a segment names, deleted or not (a retrieve answers a deleted one as its provider
   * does): the object the last retrieve of the same row made, when it is kept (kept-customers.ts).
   */
  async read(principal: Principal, kinds: readonly IdKind[], segment: string): Promise<{ customer: Customer; deleted: boolean }> {
    const row = await this.find(principal, kinds, segment, 'reuse');
    return { customer: this.#kept.of(row), deleted: row.deleted_at !== null };
  }

  /**
   * Deletes a customer: a new version that is a tombstone (its fields, ids and history kept, left
   * out of lists), recorded as a `delete` event, with a `delete` delivery to each mirror ordered
   * after the customer's earlier ones. A customer deleted already: `again` says whether that is
   * answered as the first delete was (`deleted: false` in the result, nothing written) or not found.
   */
  async delete(
    kinds: readonly IdKind[],
    segment: string,
    request: WriteRequest,
    again: 'same' | 'not_found',
    route: WriteRoute = {},
  ): Promise<{ customer: Customer; deleted: boolean }> {
    const ctx: Write = { ...request, ...route };
    const tenantId = ctx.principal.tenantId;
    const found = await this.find(ctx.principal, kinds, segment, 'write');
    if (found.deleted_at !== null) {
      if (again === 'same') return { customer: rowToCustomer(found), deleted: false };
      throw deletedCustomer(segment);
    }
    const replicas = await this.#replicas(tenantId, ctx.replicas);
    const recorder = await this.#options.events?.prepare(tenantId);
    const customer = await this.#writes.run(
      found,
      segment,
      ctx,
      replicas,
      (row) => planDelete(row, segment, ctx, replicas, recorder, this.#options),
      recorder,
    );
    return { customer, deleted: true };
  }

  async create(patch: CustomerPatch, request: WriteRequest, route: WriteRoute = {}): Promise<Customer> {
    const ctx: Write = { ...request, ...route };
    const fields = createdFields(patch, ctx, this.#options.maxCustomerBytes);
    const tenantId = ctx.principal.tenantId;
    const replicas = await this.#replicas(tenantId, ctx.replicas);
    const recorder = await this.#options.events?.prepare(tenantId);
    await this.#checkExternalId(tenantId, fields.external_id, undefined);
    const numbers = this.#numbers.get(tenantId) ?? { last: 0, creates: 0 };
    this.#numbers.set(tenantId, numbers);
    numbers.creates++;
    try {
      return await this.#insertNew(fields, ctx, tenantId, numbers, replicas, recorder);
    } finally {
      if (--numbers.creates === 0) this.#numbers.delete(tenantId);
    }
  }

  async #insertNew(
    fields: ReturnType<typeof createdFields>,
    ctx: Write,
    tenantId: string,
    numbers: { last: number },
    replicas: readonly { readonly id: string }[],
    recorder: Recorder,
  ): Promise<Customer> {
    // The upstream's number (Bigcapital's) while no local customer holds it; then one drawn here.
    let adopted = ctx.ids?.number;
    for (let attempt = 0; attempt < this.#options.maxAttempts; attempt++) {
      const now = this.#options.now().toISOString();
      const customer = newCustomer(fields, ctx, adopted ?? (await this.#nextNumber(tenantId, numbers)), now);
      try {
        await this.#store.insertCustomer({
          row: customerToRow(customer, tenantId),
          event: eventRow(customer, ctx, 'create', diffFields(fieldDefaults, fields)),
          ...keptResponse(customer, ctx),
          ...deliveries(replicas, customer, tenantId, 'create', ctx.via),
          ...recordedRows(recorder, customer, ctx, 'create'),
          ...(ctx.link ? { link: { ...ctx.link, customerId: customer.uuid, tenantId, createdAt: now } } : {}),
        });
        if (replicas.length > 0) this.#options.replicated?.(ctx.background);
        if (recorder) this.#options.events?.committed(ctx.background);
        return customer;
      } catch (error) {
        if (error instanceof MissingReference) throw ghostTenant();
        if (!(error instanceof UniqueViolation)) throw error;
        if (error.target === 'alias' || error.target === 'external_id') throw conflict(error.target);
        if (error.target === 'number' && adopted !== undefined) {
          adopted = undefined;
          continue;
        }
        // The UUID given is held: SQLite names the customers row ('other'); PostgreSQL, whose unit is
        // one statement (pg-combine.ts), may name the held customer's first event ('version') first,
        // which a retry would meet again until its attempts ran out (a 409 "too many concurrent creates").
        if (
          error.target === 'link' ||
          ((ctx.ids?.uuid ?? ctx.ids?.public_id) && (error.target === 'public_id' || error.target === 'other')) ||
          (ctx.ids?.uuid !== undefined && error.target === 'version')
        )
          throw conflict('upstream id');
        // number or public id taken by a concurrent create (another process): draw again, a little later
        await backoff(attempt + 1);
      }
    }
    throw new GatewayError('conflict', 'Too many concurrent creates; retry the request.', { field: 'number' });
  }

  /**
   * The stored maximum alone would give concurrent creates in one tenant the same number, and all
   * but one would lose and retry (a 409 once retries ran out); the highest number this process
   * handed out is remembered too, so creates in one process never collide. Another process's may
   * still, and retry. A create that fails leaves a gap, as a provider's sequence does. It is
   * remembered only while the tenant has creates in flight here: once they are done the store has
   * theirs, and a number kept past them outlived a reset (any process's), which empties the tenant
   * so that its numbers start again from 1, as a fresh start's do.
   */
  async #nextNumber(tenantId: string, numbers: { last: number }): Promise<number> {
    const stored = await this.#store.nextNumber(tenantId);
    numbers.last = Math.max(stored, numbers.last + 1);
    return numbers.last;
  }

  /**
   * Writers of one customer queue in this process (WriteQueue), so they never race each other.
   * Across processes the compare-and-set still decides: a loser takes the row lock where the
   * backend has one (PostgreSQL; the locked attempt cannot lose), or else retries after a
   * jittered backoff (SQLite files shared by processes, D1).
   */
  async update(
    kinds: readonly IdKind[],
    segment: string,
    patch: CustomerPatch,
    request: WriteRequest,
    route: WriteRoute = {},
  ): Promise<Customer> {
    const ctx: Write = { ...request, ...route };
    const tenantId = ctx.principal.tenantId;
    const replicas = await this.#replicas(tenantId, ctx.replicas);
    const recorder = await this.#options.events?.prepare(tenantId);
    const found = await this.resolve(ctx.principal, kinds, segment, 'write');
    if (patch.external_id?.op === 'set') await this.#checkExternalId(tenantId, patch.external_id.value, found.id);
    return this.#writes.run(
      found,
      segment,
      ctx,
      replicas,
      (row) => planUpdate(row, patch, ctx, replicas, recorder, this.#options),
      recorder,
    );
  }

  async events(principal: Principal, kinds: readonly IdKind[], segment: string) {
    // A deleted customer's history stays readable: its last event is the delete.
    const row = await this.find(principal, kinds, segment);
    const events = await this.#store.listEvents(principal.tenantId, row.id);
    return {
      customer: rowToCustomer(row),
      events: events.map((e) => ({
        version: Number(e.version),
        action: e.action,
        dialect: e.dialect,
        credential_id: e.credential_id,
        changes: JSON.parse(e.changes) as FieldChange[],
        created_at: e.created_at,
      })),
    };
  }

  async #replicas(tenantId: string, known: readonly ReplicaTarget[] | undefined): Promise<readonly { readonly id: string }[]> {
    if (known) return known;
    return this.#options.replicas ? this.#options.replicas(tenantId) : [];
  }

  /**
   * Every check a write of `after` over `before` passes before it is stored (`self`: the customer
   * an update writes), without writing: the proxy runs it before it calls the provider, so a write
   * the provider committed is never refused here afterwards (src/upstream/proxy.ts).
   */
  async checkWrite(before: CustomerFields, after: CustomerFields, ctx: WriteRequest, self?: string): Promise<void> {
    checkInvariants(after, self === undefined ? undefined : diffFields(before, after));
    checkGrowth(before, after, ctx, this.#options.maxCustomerBytes);
    const tenantId = ctx.principal.tenantId;
    for (const target of ['alias', 'external_id'] as const) {
      const value = after[target];
      if (value === null || value === before[target]) continue;
      const owner = await this.#store.findCustomer(tenantId, target, value);
      if (owner && owner.id !== self) throw conflict(target);
    }
    if (after.external_id !== before.external_id) await this.#checkExternalId(tenantId, after.external_id, self);
  }

  /**
   * An external id that is another customer's UUID would make a path (Zenskar: UUID, then external
   * id) name two customers; it is refused, as an alias that looks like an id is.
   */
  async #checkExternalId(tenantId: string, externalId: string | null, self: string | undefined): Promise<void> {
    if (externalId === null || !uuidPattern.test(externalId)) return;
    const owner = await this.#store.findCustomer(tenantId, 'uuid', externalId.toLowerCase());
    if (owner && owner.id !== self) {
      const message = "An external_id cannot be another customer's id.";
      throw new GatewayError('invalid_request', message, {
        issues: [{ path: ['external_id'], kind: 'value', message, value: externalId }],
        canonical: true,
      });
    }
  }
}
