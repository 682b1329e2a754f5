import * as v from 'valibot';
import {
  type Customer,
  type CustomerFields,
  CustomerFieldsSchema,
  type CustomerPatch,
  fieldDefaults,
  type IdKind,
  stateDefaults,
} from '../../schemas/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { GatewayError, type Issue } from '../contract/errors.ts';
import type { ReplicaLookup, ReplicaTarget } from './replicas.ts';
import {
  type CustomerRow,
  type DeliveryRow,
  pendingDelivery,
  LockTimeout,
  MissingReference,
  StaleWrite,
  type Store,
  UniqueViolation,
  type Step,
  type WritePlan,
} from '../store/index.ts';
import { applyPatch, diffFields, type FieldChange } from './apply-patch.ts';
import { customerToRow, rowToCustomer } from './customer-row.ts';
import { KeptCustomers } from './kept-customers.ts';
import { aliasConflictsWithIds, idValue, newPublicId, uuidPattern } from './ids.ts';
import { backoff, QueueTimeout, WriteQueue } from './write-queue.ts';

/** A write as a client asked for it: who, through which dialect, under which conditions. */
export interface WriteRequest {
  readonly principal: Principal;
  readonly dialect: string;
  /** If-Match: the version the client last saw; a different current version refuses the write. */
  readonly expectedVersion?: number | undefined;
  /** Most metadata keys a write through this dialect may leave (the provider's own limit). */
  readonly metadataMaxKeys?: number | undefined;
  /** Under a held Idempotency-Key: the record (the one rendered response) stored with the write. */
  readonly keep?: ((customer: Customer) => KeptResponse) | undefined;
  /** The request's Idempotency-Key, recorded with the write's outbound events (webhooks). */
  readonly idempotencyKey?: string | undefined;
  /** The request's id, recorded with the write's outbound events (webhooks). */
  readonly requestId?: string | undefined;
  /** Workers' waitUntil: work started after the write (sending its events) that must outlive the response. */
  readonly background?: ((work: Promise<unknown>) => void) | undefined;
}

/**
 * Where a write goes beside the store, when its caller decided that already (src/upstream/): the
 * tenant's replicas, and in proxy mode what the upstream, the system of record, answered.
 */
export interface WriteRoute {
  /** The mirror/shadow upstreams that get a delivery; when absent the ReplicaLookup port is asked. */
  readonly replicas?: readonly ReplicaTarget[] | undefined;
  /** The state the upstream returned, applied after the patch. */
  readonly overlay?: CustomerPatch | undefined;
  /** The new customer's id at an upstream, stored with it atomically. */
  readonly link?: { readonly upstreamId: string; readonly remoteId: string } | undefined;
  /** A new customer takes the upstream's id where it has the shape of one of ours. */
  readonly ids?: { readonly uuid?: string | undefined; readonly public_id?: string | undefined } | undefined;
}

/** A write as the service carries it through its steps. */
type Write = WriteRequest & WriteRoute;

export interface KeptResponse {
  readonly tenantId: string;
  readonly key: string;
  readonly status: number;
  readonly body: string;
}

export interface ServiceOptions {
  readonly now: () => Date;
  /** Customers of retrieved rows kept for the next retrieve (kept-customers.ts); 0 or absent: none. */
  readonly readCacheSize?: number;
  /** Attempts at a compare-and-set before answering with a conflict (backends without row locks). */
  readonly maxAttempts: number;
  /** How long an update may wait for earlier updates of the same customer before a 409. */
  readonly writeWaitMs: number;
  /** The tenant's mirror/shadow upstreams: each committed write records a delivery to each. */
  readonly replicas?: ReplicaLookup;
  /** Largest stored customer (canonical JSON), in bytes; larger writes are refused. */
  readonly maxCustomerBytes?: number;
  /** Outbound events (webhooks): rows recorded in each write's atomic unit, and a nudge after it committed. */
  readonly events?: EventSink;
  /** Called after a write that recorded outbox deliveries committed (the runtime drains then). */
  readonly replicated?: (background?: (work: Promise<unknown>) => void) => void;
}

/** A committed write, as its outbound events announce it. */
export interface WrittenEvent {
  readonly tenantId: string;
  readonly customerId: string;
  readonly version: number;
  readonly action: 'create' | 'update' | 'delete';
  /** The customer's mode: only endpoints of that mode hear of it. */
  readonly livemode: boolean;
  readonly at: string;
  readonly requestId: string | null;
  readonly idempotencyKey: string | null;
}

export interface EventSink {
  /** The rows a write of this tenant records for its event (undefined: nobody listens); read once per write. */
  prepare(tenantId: string): Promise<((event: WrittenEvent) => readonly Step[]) | undefined>;
  /** After the write committed: sends its events (kept alive by `background` where given). */
  committed(background?: (work: Promise<unknown>) => void): void;
}

type Recorder = ((event: WrittenEvent) => readonly Step[]) | undefined;

const notFound = (reference: string) => new GatewayError('not_found', `No such customer: '${reference}'`, { reference });

// PostgreSQL text cannot hold NUL (SQLite can): refused for every backend alike.
const hasNul = (value: string | null): boolean => value?.includes('\u0000') === true;

/**
 * The fields must make a valid customer. `only`: the fields an update changed. The stored
 * customer passed this check when it was written, so an update need only check what it changed
 * (a patch of one field to a 60-field customer checks one field, not sixty).
 */
export function checkInvariants(fields: CustomerFields, only?: readonly FieldChange[]): void {
  const issues: Issue[] = [];
  for (const name of ['alias', 'external_id'] as const) {
    if (hasNul(fields[name])) issues.push({ path: [name], kind: 'format', message: `${name} cannot contain a NUL character.` });
  }
  const collect = (result: v.SafeParseResult<v.GenericSchema>, prefix: readonly (string | number)[]) => {
    if (result.success) return;
    for (const issue of result.issues) {
      issues.push({
        path: [...prefix, ...(issue.path ?? []).map((item) => item.key as string | number)],
        kind: 'value',
        message: issue.message,
        value: issue.input,
      });
    }
  };
  if (only) {
    for (const change of only) collect(v.safeParse(CustomerFieldsSchema.entries[change.field], change.after), [change.field]);
  } else {
    collect(v.safeParse(CustomerFieldsSchema, fields), []);
  }
  const aliasChanged = !only || only.some((c) => c.field === 'alias');
  if (aliasChanged && fields.alias !== null && aliasConflictsWithIds(fields.alias)) {
    issues.push({ path: ['alias'], kind: 'format', message: 'An alias cannot look like a customer id or a UUID.', value: fields.alias });
  }
  if (issues.length > 0) throw new GatewayError('invalid_request', 'The customer would be invalid.', { issues, canonical: true });
}

/** Limits that depend on what is already stored: the provider's metadata keys, the stored size. */
function checkGrowth(before: CustomerFields, after: CustomerFields, ctx: WriteRequest, maxBytes: number | undefined): void {
  const max = ctx.metadataMaxKeys;
  if (max !== undefined && after.metadata !== before.metadata) {
    const keys = Object.keys(after.metadata).length;
    // Only growth past the limit is refused: a map another dialect filled may still shrink.
    if (keys > max && keys > Object.keys(before.metadata).length) {
      const message = `Metadata can have at most ${max} keys; this customer would have ${keys}.`;
      throw new GatewayError('invalid_request', message, { issues: [{ path: ['metadata'], kind: 'value', message }], canonical: true });
    }
  }
  if (maxBytes !== undefined) {
    const bytes = new TextEncoder().encode(JSON.stringify(after)).byteLength;
    if (bytes > maxBytes) {
      throw new GatewayError('payload_too_large', `The customer would take ${bytes} bytes; at most ${maxBytes} are stored per customer.`);
    }
  }
}

/** A deleted customer is not there for reads, writes and lists: the provider's 404 (its history stays). */
const deletedCustomer = (reference: string) => notFound(reference);

const ghostTenant = () => new GatewayError('unauthenticated', 'The credential names a tenant that does not exist.', { reason: 'invalid' });

const missing = (segment: string): never => {
  throw notFound(segment);
};

/** Returns when the write lost a compare-and-set (worth another attempt); throws anything else. */
function lostRace(error: unknown): void {
  if (error instanceof StaleWrite) return;
  if (!(error instanceof UniqueViolation)) throw error;
  if (error.target === 'alias' || error.target === 'external_id') throw conflict(error.target);
  // another writer committed this version first
  if (error.target !== 'version') throw error;
}

function conflict(target: string): GatewayError {
  return new GatewayError('conflict', `Another customer of this tenant already has this ${target}.`, { field: target });
}

/** Whose customers a lookup may find: the tenant's, in the mode of the caller's key. */
export type Caller = Pick<Principal, 'tenantId' | 'livemode'>;

/** A customer created before modes were recorded (livemode null) is visible in both. */
const inMode = (row: CustomerRow, livemode: boolean): boolean => row.livemode === null || Number(row.livemode) === (livemode ? 1 : 0);

/** Resolves, reads and writes customers of one tenant at a time. */
export class CustomerService {
  readonly #store: Store;
  readonly #options: ServiceOptions;
  readonly #writers = new WriteQueue();
  /** Per tenant, the last number this process handed out (see #nextNumber). */
  readonly #numbers = new Map<string, number>();
  readonly #kept: KeptCustomers;

  constructor(store: Store, options: ServiceOptions) {
    this.#store = store;
    this.#options = options;
    this.#kept = new KeptCustomers(options.readCacheSize ?? 0);
  }

  /**
   * The customer a path segment names within the caller's tenant and mode, trying id kinds in the
   * given order. A customer of the other mode is not there for this key, as in Stripe, where test
   * and live data are apart (https://docs.stripe.com/keys#test-live-modes): the same 404.
   */
  async resolve(caller: Caller, kinds: readonly IdKind[], segment: string): Promise<CustomerRow> {
    const row = await this.find(caller, kinds, segment);
    if (row.deleted_at !== null) throw deletedCustomer(segment);
    return row;
  }

  /** As resolve, but a deleted customer's tombstone is found too; `reuse`: as Store.findCustomer. */
  async find(caller: Caller, kinds: readonly IdKind[], segment: string, reuse = false): Promise<CustomerRow> {
    for (const kind of kinds) {
      const value = idValue(kind, segment);
      if (value === undefined) continue;
      const row = await this.#store.findCustomer(caller.tenantId, kind, value, reuse);
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
    const row = await this.find(principal, kinds, segment, true);
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
    const found = await this.find(ctx.principal, kinds, segment);
    if (found.deleted_at !== null) {
      if (again === 'same') return { customer: rowToCustomer(found), deleted: false };
      throw deletedCustomer(segment);
    }
    const replicas = await this.#replicas(tenantId, ctx.replicas);
    const recorder = await this.#options.events?.prepare(tenantId);
    const customer = await this.#write(
      found,
      segment,
      ctx,
      replicas,
      (row) => this.#planDelete(row, segment, ctx, replicas, recorder),
      recorder,
    );
    return { customer, deleted: true };
  }

  async create(patch: CustomerPatch, request: WriteRequest, route: WriteRoute = {}): Promise<Customer> {
    const ctx: Write = { ...request, ...route };
    const fields = ctx.overlay ? applyPatch(applyPatch(fieldDefaults, patch), ctx.overlay) : applyPatch(fieldDefaults, patch);
    checkInvariants(fields);
    checkGrowth(fieldDefaults, fields, ctx, this.#options.maxCustomerBytes);
    const tenantId = ctx.principal.tenantId;
    const replicas = await this.#replicas(tenantId, ctx.replicas);
    const recorder = await this.#options.events?.prepare(tenantId);
    await this.#checkExternalId(tenantId, fields.external_id, undefined);
    for (let attempt = 0; attempt < this.#options.maxAttempts; attempt++) {
      const now = this.#options.now().toISOString();
      const customer: Customer = {
        ...stateDefaults,
        ...fields,
        livemode: ctx.principal.livemode,
        uuid: ctx.ids?.uuid ?? crypto.randomUUID(),
        public_id: ctx.ids?.public_id ?? newPublicId(),
        number: await this.#nextNumber(tenantId),
        version: 1,
        created_at: now,
        updated_at: now,
      };
      try {
        await this.#store.insertCustomer({
          row: customerToRow(customer, tenantId),
          event: this.#event(customer, ctx, 'create', diffFields(fieldDefaults, fields)),
          ...this.#idempotency(customer, ctx),
          ...this.#deliveries(replicas, customer, tenantId, 'create'),
          ...this.#extra(recorder, customer, ctx, 'create'),
          ...(ctx.link ? { link: { ...ctx.link, customerId: customer.uuid, tenantId, createdAt: now } } : {}),
        });
        if (replicas.length > 0) this.#options.replicated?.(ctx.background);
        if (recorder) this.#options.events?.committed(ctx.background);
        return customer;
      } catch (error) {
        if (error instanceof MissingReference) throw ghostTenant();
        if (!(error instanceof UniqueViolation)) throw error;
        if (error.target === 'alias' || error.target === 'external_id') throw conflict(error.target);
        if (error.target === 'link' || (ctx.ids && (error.target === 'public_id' || error.target === 'other')))
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
   * still, and retry. A create that fails leaves a gap, as a provider's sequence does.
   */
  async #nextNumber(tenantId: string): Promise<number> {
    const stored = await this.#store.nextNumber(tenantId);
    const number = Math.max(stored, (this.#numbers.get(tenantId) ?? 0) + 1);
    if (this.#numbers.size >= 10_000) this.#numbers.clear();
    this.#numbers.set(tenantId, number);
    return number;
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
    const found = await this.resolve(ctx.principal, kinds, segment);
    if (patch.external_id?.op === 'set') await this.#checkExternalId(tenantId, patch.external_id.value, found.id);
    return this.#write(found, segment, ctx, replicas, (row) => this.#plan(row, patch, ctx, replicas, recorder), recorder);
  }

  /** Runs one customer's write plan: queued behind this process's writers of it, then compare-and-set (or the row lock). */
  async #write(
    found: CustomerRow,
    segment: string,
    ctx: Write,
    replicas: readonly { readonly id: string }[],
    planOf: (row: CustomerRow) => WritePlan<Customer>,
    recorder?: Recorder,
  ): Promise<Customer> {
    const tenantId = ctx.principal.tenantId;
    const reread = async () => (await this.#store.findCustomer(tenantId, 'uuid', found.id)) ?? missing(segment);
    try {
      return await this.#writers.run(`${tenantId}/${found.id}`, this.#options.writeWaitMs, async (waited) => {
        let row = waited ? await reread() : found;
        for (let attempt = 1; ; attempt++) {
          const plan = planOf(row);
          try {
            if (plan.unit) await this.#store.updateCustomer(plan.unit);
            else if (plan.finish) await this.#store.finishKey(plan.finish);
            if (plan.unit && replicas.length > 0) this.#options.replicated?.(ctx.background);
            if (plan.unit && recorder) this.#options.events?.committed(ctx.background);
            return plan.value;
          } catch (error) {
            lostRace(error);
          }
          if (this.#store.locksRows) {
            const value = await this.#store.updateLocked(
              tenantId,
              found.id,
              (locked) => planOf(locked ?? missing(segment)),
              this.#options.writeWaitMs,
            );
            if (replicas.length > 0) this.#options.replicated?.(ctx.background);
            if (recorder) this.#options.events?.committed(ctx.background);
            return value;
          }
          if (attempt >= this.#options.maxAttempts) break;
          await backoff(attempt);
          row = await reread();
        }
        throw new GatewayError('conflict', 'The customer is being updated concurrently; retry the request.', { field: 'version' });
      });
    } catch (error) {
      if (error instanceof QueueTimeout || error instanceof LockTimeout) {
        throw new GatewayError(
          'conflict',
          `Waited more than ${this.#options.writeWaitMs} ms for other updates of this customer; retry the request.`,
          { field: 'version' },
        );
      }
      throw error;
    }
  }

  /** The writes an update makes on top of `row` (none when it changes nothing). */
  #plan(
    row: CustomerRow,
    patch: CustomerPatch,
    ctx: Write,
    replicas: readonly { readonly id: string }[],
    recorder: Recorder,
  ): WritePlan<Customer> {
    // Deleted while this write waited its turn.
    if (row.deleted_at !== null) throw deletedCustomer(row.public_id);
    const current = rowToCustomer(row);
    if (ctx.expectedVersion !== undefined && ctx.expectedVersion !== current.version) {
      throw new GatewayError('precondition_failed', 'The customer has changed since the version given in If-Match.');
    }
    const patched = applyPatch(current, patch);
    const fields = ctx.overlay ? applyPatch(patched, ctx.overlay) : patched;
    checkGrowth(current, fields, ctx, this.#options.maxCustomerBytes);
    const changes = diffFields(current, fields);
    checkInvariants(fields, changes);
    if (changes.length === 0) {
      // Nothing to write; the answer is still stored for the key.
      return { value: current, finish: this.#idempotency(current, ctx).idempotency };
    }
    const next: Customer = {
      ...current,
      ...fields,
      version: current.version + 1,
      updated_at: this.#options.now().toISOString(),
    };
    const tenantId = ctx.principal.tenantId;
    return {
      value: next,
      unit: {
        row: customerToRow(next, tenantId),
        expectedVersion: current.version,
        previous: row,
        event: this.#event(next, ctx, 'update', changes),
        ...this.#idempotency(next, ctx),
        ...this.#deliveries(replicas, next, tenantId, 'update'),
        ...this.#extra(recorder, next, ctx, 'update'),
      },
    };
  }

  /** The tombstone a delete writes on top of `row`: the next version, marked deleted. */
  #planDelete(
    row: CustomerRow,
    segment: string,
    ctx: Write,
    replicas: readonly { readonly id: string }[],
    recorder: Recorder,
  ): WritePlan<Customer> {
    if (row.deleted_at !== null) throw deletedCustomer(segment);
    const current = rowToCustomer(row);
    if (ctx.expectedVersion !== undefined && ctx.expectedVersion !== current.version) {
      throw new GatewayError('precondition_failed', 'The customer has changed since the version given in If-Match.');
    }
    const now = this.#options.now().toISOString();
    const next: Customer = { ...current, version: current.version + 1, updated_at: now };
    const tenantId = ctx.principal.tenantId;
    return {
      value: next,
      unit: {
        row: { ...customerToRow(next, tenantId), livemode: row.livemode, deleted_at: now },
        expectedVersion: current.version,
        previous: row,
        event: this.#event(next, ctx, 'delete', []),
        ...this.#deliveries(replicas, next, tenantId, 'delete'),
        ...this.#extra(recorder, next, ctx, 'delete'),
      },
    };
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

  #event(customer: Customer, ctx: Write, action: 'create' | 'update' | 'delete', changes: FieldChange[]) {
    return {
      customer_id: customer.uuid,
      version: customer.version,
      tenant_id: ctx.principal.tenantId,
      action,
      dialect: ctx.dialect,
      credential_id: ctx.principal.credentialId,
      changes: JSON.stringify(changes),
      created_at: customer.updated_at,
    };
  }

  async #replicas(tenantId: string, known: readonly ReplicaTarget[] | undefined): Promise<readonly { readonly id: string }[]> {
    if (known) return known;
    return this.#options.replicas ? this.#options.replicas(tenantId) : [];
  }

  /** One outbox row per mirror/shadow upstream, written in the same atomic unit as the customer. */
  #deliveries(replicas: readonly { readonly id: string }[], customer: Customer, tenantId: string, action: 'create' | 'update' | 'delete') {
    if (replicas.length === 0) return {};
    const at = customer.updated_at;
    const deliveries: DeliveryRow[] = replicas.map((upstream) =>
      pendingDelivery({ upstream_id: upstream.id, customer_id: customer.uuid, version: customer.version, tenant_id: tenantId, action }, at),
    );
    return { deliveries };
  }

  #extra(recorder: Recorder, customer: Customer, ctx: Write, action: WrittenEvent['action']) {
    if (!recorder) return {};
    const extra = recorder({
      tenantId: ctx.principal.tenantId,
      customerId: customer.uuid,
      version: customer.version,
      action,
      livemode: customer.livemode,
      at: customer.updated_at,
      requestId: ctx.requestId ?? null,
      idempotencyKey: ctx.idempotencyKey ?? null,
    });
    return extra.length > 0 ? { extra } : {};
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

  #idempotency(customer: Customer, ctx: Write) {
    return ctx.keep ? { idempotency: ctx.keep(customer) } : {};
  }
}
