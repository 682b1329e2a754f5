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
import { applyPatch, type CustomerService, type ReplicaTarget, rowToCustomer, sentUpstream, type WriteRequest } from '../core/index.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import type { LinkRow, Store } from '../store/index.ts';
import { attemptOf, createKeyFor, recordAttempt, recoverAttempt, settleRefused } from './attempts.ts';
import { type Pushed, requestFor, type Upstream, type UpstreamClient, wholePatch } from './client.ts';
import { cannotCarry, carriedPatch, uncarried } from './fidelity.ts';
import { createMarker, keyMarker, mayHold, recoverCreate, stillToSend } from './marker.ts';
import { adoptedIds, ProviderState } from './provider-state.ts';
import { inClientTerms, providerValueError } from './refusal.ts';

// Proxy mode: the tenant's proxy upstream is the system of record. A write goes there first; only
// what it accepted is stored, as it answered (its state applied over the write); its refusal
// reaches the client in the client's own dialect, and nothing changes here. Reads are served from
// the local copy; a customer the gateway has not seen but the upstream has is fetched, stored and
// linked on first reference (provider-state.ts). Only tenants with a proxy upstream come here
// (customers.ts).

/** A client's write as the proxy takes it: what the core needs, and what only the proxy does. */
export interface ProxyWrite extends WriteRequest {
  /** An earlier request with this Idempotency-Key reached the proxy upstream and failed (src/core/idempotency.ts). */
  readonly retried?: boolean | undefined;
}

/** The writes and first references of a tenant whose proxy upstream is `upstream` (opened by tenant-upstreams.ts). */
export class UpstreamProxy {
  readonly #service: CustomerService;
  readonly #store: Store;
  readonly #client: UpstreamClient;
  /** The upstream's own state taken in: first references, refetches, its webhooks. */
  readonly provider: ProviderState;

  constructor(service: CustomerService, store: Store, client: UpstreamClient) {
    this.#service = service;
    this.#store = store;
    this.#client = client;
    this.provider = new ProviderState(service, store, client);
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
    const current = rowToCustomer(await this.provider.resolve(ctx.principal, kinds, segment, upstream, ctx.via));
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
   * The first write of a customer from before the upstream was added: created there, recorded
   * first (attempts.ts) and carrying the marker (marker.ts) where the provider needs one, so that
   * when the answer is lost the next write, with or without the client's Idempotency-Key, finds
   * and links what the attempt left rather than creating it again.
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
    const attempt = await attemptOf(this.#store, upstream, current.uuid);
    const recovered =
      attempt &&
      (await recoverAttempt(this.#client, this.#store, upstream, current, attempt).catch((error: unknown) => {
        throw mayHold(undefined, inClientTerms(error, upstream.dialect, this.#client.dialectOf(ctx.dialect)));
      }));
    const createKey = createKeyFor(upstream, ctx.idempotencyKey);
    const pushed = recovered
      ? await this.#adopt(upstream, current, after, recovered, ctx)
      : await this.#carry(upstream, undefined, current, after, patch, ctx, createKey).then(
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
    createKey?: string,
  ): Promise<Pushed> {
    const client = this.#client.dialectOf(ctx.dialect);
    const touched = (Object.keys(patch) as FieldName[]).filter((f) => patch[f] !== undefined);
    const known = 'uuid' in current ? current : undefined;
    const carried = carriedPatch(upstream.dialect, current, after, touched);
    const write = { patch: carried, current: known, idempotencyKey: ctx.idempotencyKey, createKey };
    const request = requestFor(upstream, link, write);
    const kind = link ? 'update' : 'create';
    const sent = link ? { patch: write.patch, current: known } : { patch: wholePatch(applyPatch(current, write.patch)) };
    const refused = await uncarried(upstream.dialect, kind, request, { ...sent, after, touched: link ? touched : fieldNames });
    if (refused.length > 0) throw cannotCarry(refused, upstream.dialect, client);
    // A known customer's create is recorded before it leaves: its answer may be lost (attempts.ts).
    const recorded = !link && known ? known.uuid : undefined;
    if (recorded !== undefined) {
      const at = new Date().toISOString();
      await recordAttempt(this.#store, upstream, recorded, { at, key: createKey, sent: applyPatch(current, carried) });
    }
    const pushed = await this.#client.send(upstream, request, link === undefined, ctx.via).catch(async (error: unknown) => {
      const translated = mayHold(link, inClientTerms(error, upstream.dialect, client));
      if (recorded === undefined) throw translated;
      return settleRefused(this.#store, upstream, recorded, translated);
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
}
