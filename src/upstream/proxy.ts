import {
  type Customer,
  type CustomerFields,
  type CustomerPatch,
  type FieldName,
  fieldDefaults,
  fieldNames,
  type IdKind,
  set,
} from '../../schemas/index.ts';
import {
  applyPatch,
  type CustomerService,
  type ReplicaTarget,
  rowToCustomer,
  sentUpstream,
  uuidPattern,
  type WriteRequest,
  type WriteRoute,
} from '../core/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import type { CustomerRow, LinkRow, Store, UpstreamRow } from '../store/index.ts';
import { type Pushed, requestFor, type Upstream, type UpstreamClient, wholePatch } from './client.ts';
import { cannotCarry, carriedPatch, uncarried } from './fidelity.ts';
import { createMarker, keyMarker, mayHold, recoverCreate, stillToSend } from './marker.ts';
import { inClientTerms, providerValueError } from './refusal.ts';

// Proxy mode: the tenant's proxy upstream is the system of record. A write goes there first; only
// what it accepted is stored, as it answered (its state applied over the write); its refusal
// reaches the client in the client's own dialect, and nothing changes here. Reads are served from
// the local copy; a customer the gateway has not seen but the upstream has is fetched, stored and
// linked on first reference. Only tenants with a proxy upstream come here (customers.ts).

/** A client's write as the proxy takes it: what the core needs, and what only the proxy does. */
export interface ProxyWrite extends WriteRequest {
  /** An earlier request with this Idempotency-Key reached the proxy upstream and failed (src/core/idempotency.ts). */
  readonly retried?: boolean | undefined;
}

export interface RemoteState {
  readonly id: string;
  readonly patch: CustomerPatch;
}

/** The upstream's id as one of ours, when it has the shape: clients keep seeing the same id. */
export function adoptedIds(remoteId: string): WriteRoute['ids'] {
  if (/^cus_[A-Za-z0-9]{1,60}$/.test(remoteId)) return { public_id: remoteId };
  if (uuidPattern.test(remoteId)) return { uuid: remoteId.toLowerCase() };
  return undefined;
}

const notFound = (reference: string) => new GatewayError('not_found', `No such customer: '${reference}'`, { reference });

/** The writes and first references of a tenant whose proxy upstream is `upstream` (opened by tenant-upstreams.ts). */
export class UpstreamProxy {
  readonly #service: CustomerService;
  readonly #store: Store;
  readonly #client: UpstreamClient;

  constructor(service: CustomerService, store: Store, client: UpstreamClient) {
    this.#service = service;
    this.#store = store;
    this.#client = client;
  }

  /** A customer the local store does not have, found at the upstream by its id there (first reference). */
  async known(principal: Principal, segment: string, upstream: Upstream, localMiss: GatewayError): Promise<Customer> {
    return rowToCustomer(await this.#known(principal, segment, upstream, localMiss));
  }

  /**
   * Through a proxy the provider deletes first; only once it has is the local copy deleted, so a
   * refusal or an outage leaves both as they were. A customer the provider never had (no link)
   * is deleted here only.
   */
  async delete(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    kinds: readonly IdKind[],
    segment: string,
    request: WriteRequest,
    again: 'same' | 'not_found',
  ): Promise<{ customer: Customer; deleted: boolean }> {
    const row = await this.#service.find(request.principal, kinds, segment);
    if (row.deleted_at === null) {
      const link = await this.#store.upstreams.findLink(request.principal.tenantId, upstream.id, row.id);
      if (link) {
        await this.#client.remove(upstream, link.remote_id, request.via).catch((error: unknown) => {
          throw inClientTerms(error, upstream.dialect, this.#client.dialectOf(request.dialect));
        });
      }
    }
    return this.#service.delete(['uuid'], row.id, request, again, { replicas });
  }

  async create(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    given: CustomerPatch,
    ctx: ProxyWrite,
  ): Promise<Customer> {
    // Refused here first: the upstream must not get a customer this gateway would not store.
    await this.#service.checkWrite(fieldDefaults, applyPatch(fieldDefaults, given), ctx);
    const marker = await keyMarker(upstream, given, ctx);
    const patch: CustomerPatch = marker === undefined ? given : { ...given, external_id: set(marker) };
    const after = applyPatch(fieldDefaults, patch);
    const recovered = ctx.retried ? await recoverCreate(this.#client, this.#store, upstream, marker, after) : undefined;
    const pushed = recovered
      ? await this.#held(undefined, fieldDefaults, after, recovered, ctx, upstream)
      : await this.#carry(upstream, undefined, fieldDefaults, after, patch, ctx);
    try {
      return await this.#service.create(patch, ctx, {
        replicas,
        overlay: pushed.patch,
        link: { upstreamId: upstream.id, remoteId: pushed.upstreamId },
        ids: adoptedIds(pushed.upstreamId),
      });
    } catch (error) {
      // The provider holds the customer: the Idempotency-Key is kept for a retry to recover it.
      throw sentUpstream(error);
    }
  }

  async update(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    kinds: readonly IdKind[],
    segment: string,
    patch: CustomerPatch,
    ctx: ProxyWrite,
  ): Promise<Customer> {
    const current = rowToCustomer(await this.#resolve(ctx.principal, kinds, segment, upstream));
    if (ctx.expectedVersion !== undefined && ctx.expectedVersion !== current.version) {
      throw new GatewayError('precondition_failed', 'The customer has changed since the version given in If-Match.');
    }
    const link = await this.#store.upstreams.findLink(ctx.principal.tenantId, upstream.id, current.uuid);
    if (!link) return this.#createThere(upstream, replicas, current, patch, ctx);
    const after = applyPatch(current, patch);
    await this.#service.checkWrite(current, after, ctx, current.uuid);
    const pushed = await this.#carry(upstream, link, current, after, patch, ctx);
    return this.#service.update(['uuid'], current.uuid, patch, ctx, { replicas, overlay: pushed.patch });
  }

  /**
   * The first write of a customer from before the upstream was added: created there, carrying the
   * marker (marker.ts) where the provider needs one, so that when the answer is lost the retry
   * finds and links what the first attempt left rather than creating it again.
   */
  async #createThere(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    current: Customer,
    given: CustomerPatch,
    ctx: ProxyWrite,
  ): Promise<Customer> {
    const marker = createMarker(upstream.dialect, current.uuid, applyPatch(current, given));
    const patch: CustomerPatch = marker === undefined ? given : { ...given, external_id: set(marker) };
    const after = applyPatch(current, patch);
    await this.#service.checkWrite(current, after, ctx, current.uuid);
    const recovered = ctx.retried ? await recoverCreate(this.#client, this.#store, upstream, marker, after) : undefined;
    const pushed = recovered
      ? await this.#adopt(upstream, current, after, recovered, ctx)
      : await this.#carry(upstream, undefined, current, after, patch, ctx).then(
          async (created) => {
            await this.#link(upstream, current.uuid, created.upstreamId);
            return created;
          },
          async (error: unknown) => {
            // The marker is taken: by this customer's earlier create (a retry with no key to say so).
            const found =
              marker !== undefined && isGatewayError(error) && error.code === 'conflict'
                ? await recoverCreate(this.#client, this.#store, upstream, marker, after)
                : undefined;
            if (!found) throw error;
            return this.#adopt(upstream, current, after, found, ctx);
          },
        );
    return this.#service.update(['uuid'], current.uuid, patch, ctx, { replicas, overlay: pushed.patch });
  }

  /** Links the customer an earlier attempt left at the provider, then brings it to `after` where it differs. */
  async #adopt(upstream: Upstream, current: Customer, after: CustomerFields, found: Pushed, ctx: WriteRequest): Promise<Pushed> {
    const link = await this.#link(upstream, current.uuid, found.upstreamId);
    const rest = stillToSend(upstream.dialect, after, found);
    if (rest === undefined) return this.#held(link, current, after, found, ctx, upstream);
    return this.#carry(upstream, link, current, after, rest, ctx);
  }

  async #link(upstream: Upstream, customerId: string, remoteId: string): Promise<LinkRow> {
    const row = { upstreamId: upstream.id, customerId, tenantId: upstream.tenantId, remoteId, createdAt: new Date().toISOString() };
    await this.#store.upstreams.link(row);
    return {
      upstream_id: row.upstreamId,
      customer_id: customerId,
      tenant_id: row.tenantId,
      remote_id: remoteId,
      created_at: row.createdAt,
    };
  }

  /**
   * Sends the upstream the absolute values the write leaves, as it carries them (fidelity.ts),
   * after checking that its API makes the whole change: what it cannot carry is refused before
   * anything is sent, so an acknowledged write is one the provider holds.
   */
  async #carry(
    upstream: Upstream,
    link: LinkRow | undefined,
    current: Customer | CustomerFields,
    after: CustomerFields,
    patch: CustomerPatch,
    ctx: WriteRequest,
  ): Promise<Pushed> {
    const client = this.#client.dialectOf(ctx.dialect);
    const touched = (Object.keys(patch) as FieldName[]).filter((f) => patch[f] !== undefined);
    const known = 'uuid' in current ? current : undefined;
    const write = { patch: carriedPatch(upstream.dialect, current, after, touched), current: known, idempotencyKey: ctx.idempotencyKey };
    const request = requestFor(upstream, link, write);
    const kind = link ? 'update' : 'create';
    const sent = link ? { patch: write.patch, current: known } : { patch: wholePatch(applyPatch(current, write.patch)) };
    const refused = await uncarried(upstream.dialect, kind, request, { ...sent, after, touched: link ? touched : fieldNames });
    if (refused.length > 0) throw cannotCarry(refused, upstream.dialect, client);
    const pushed = await this.#client.send(upstream, request, link === undefined, ctx.via).catch((error: unknown) => {
      throw mayHold(link, inClientTerms(error, upstream.dialect, client));
    });
    return this.#held(link, current, after, pushed, ctx, upstream);
  }

  /** The provider's answer, if what it holds passes every local check: else the provider's problem (502). */
  async #held(
    link: LinkRow | undefined,
    current: Customer | CustomerFields,
    after: CustomerFields,
    pushed: Pushed,
    ctx: WriteRequest,
    upstream: Upstream,
  ): Promise<Pushed> {
    try {
      await this.#service.checkWrite(current, applyPatch(after, pushed.patch), ctx, 'uuid' in current ? current.uuid : undefined);
    } catch (error) {
      throw mayHold(link, providerValueError(error, upstream.dialect));
    }
    return pushed;
  }

  /** Refetches a customer from the proxy upstream (gateway API `?refresh=true`). */
  async refresh(upstream: Upstream, principal: Principal, kinds: readonly IdKind[], segment: string): Promise<Customer> {
    const current = rowToCustomer(await this.#resolve(principal, kinds, segment, upstream));
    const link = await this.#store.upstreams.findLink(principal.tenantId, upstream.id, current.uuid);
    if (!link) return current;
    const fetched = await this.#client.fetchCustomer(upstream, link.remote_id);
    return this.#service.update(['uuid'], current.uuid, {}, { principal, dialect: upstream.dialect.name }, { overlay: fetched.patch });
  }

  /**
   * Nothing is sent back to the provider: the state is its own. A customer the gateway has not
   * seen is created and linked, as on a first reference.
   */
  async takeIn(principal: Principal, upstream: Pick<UpstreamRow, 'id' | 'dialect'>, remote: RemoteState): Promise<Customer> {
    const request: WriteRequest = { principal, dialect: upstream.dialect };
    const overlay = { overlay: remote.patch };
    const linked = () => this.#store.upstreams.findLinkByRemote(principal.tenantId, upstream.id, remote.id);
    const link = await linked();
    if (link) return this.#service.update(['uuid'], link.customer_id, {}, request, overlay);
    try {
      const adopted = { ...overlay, link: { upstreamId: upstream.id, remoteId: remote.id }, ids: adoptedIds(remote.id) };
      return await this.#service.create({}, request, adopted);
    } catch (error) {
      // Another event (or a first reference) created it first.
      const raced = await linked();
      if (raced) return this.#service.update(['uuid'], raced.customer_id, {}, request, overlay);
      throw error;
    }
  }

  /** Nothing is sent back: the provider deleted it already. Mirrors get the delete as any other. */
  async takeDelete(principal: Principal, upstream: Pick<UpstreamRow, 'id' | 'dialect'>, remoteId: string) {
    const link = await this.#store.upstreams.findLinkByRemote(principal.tenantId, upstream.id, remoteId);
    if (!link) return undefined;
    return this.#service.delete(['uuid'], link.customer_id, { principal, dialect: upstream.dialect }, 'same');
  }

  /** The local customer a segment names, or the one the upstream knows by it (fetched on first reference). */
  async #resolve(principal: Principal, kinds: readonly IdKind[], segment: string, upstream: Upstream): Promise<CustomerRow> {
    try {
      return await this.#service.resolve(principal, kinds, segment);
    } catch (error) {
      if (!isGatewayError(error) || error.code !== 'not_found') throw error;
      return this.#known(principal, segment, upstream, error);
    }
  }

  async #known(principal: Principal, segment: string, upstream: Upstream, localMiss: GatewayError): Promise<CustomerRow> {
    const tenantId = principal.tenantId;
    const linked = async () => {
      const link = await this.#store.upstreams.findLinkByRemote(tenantId, upstream.id, segment);
      return link ? this.#service.resolve(principal, ['uuid'], link.customer_id) : undefined;
    };
    const already = await linked();
    if (already) return already;
    if (!upstream.dialect.client.isId(segment)) throw localMiss;
    const fetched = await this.#client.fetchCustomer(upstream, segment).catch((error: unknown) => {
      throw isGatewayError(error) && error.code === 'not_found' ? notFound(segment) : error;
    });
    try {
      const customer = await this.#service.create(
        {},
        { principal, dialect: upstream.dialect.name },
        {
          overlay: fetched.patch,
          link: { upstreamId: upstream.id, remoteId: fetched.upstreamId },
          ids: adoptedIds(fetched.upstreamId),
        },
      );
      return this.#service.resolve(principal, ['uuid'], customer.uuid);
    } catch (error) {
      // Another request imported it first.
      const raced = await linked();
      if (raced) return raced;
      throw error;
    }
  }
}
