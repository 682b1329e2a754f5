import { type Customer, type CustomerFields, type CustomerPatch, fieldDefaults, type IdKind, set } from '../../schemas/index.ts';
import {
  applyPatch,
  BaseMoved,
  checkUpdateConditions,
  concurrentUpdate,
  type CustomerService,
  QueueTimeout,
  type ReplicaTarget,
  rowToCustomer,
  sentUpstream,
  WriteQueue,
  type WriteRequest,
} from '../core/index.ts';
import { isGatewayError } from '../contract/errors.ts';
import type { Store } from '../store/index.ts';
import {
  attemptOf,
  awaitOwner,
  type ClaimOwner,
  Contended,
  type CreateAttempt,
  claimFor,
  createKeyFor,
  heldByOther,
  recordAttempt,
  recoverAttempt,
  releaseAttempt,
  settleRefused,
  takeAttempt,
} from './attempts.ts';
import type { Pushed, Upstream, UpstreamClient } from './client.ts';
import { createMarker, keyId, keyMarker, mayHold, recoverCreate, stillToSend } from './marker.ts';
import { adoptedIds, ProviderState } from './provider-state.ts';
import { carry, type OwnClaim, type ProxyParts } from './proxy-carry.ts';
import { heldAnswer, storeLink } from './proxy-steps.ts';
import { inClientTerms } from './refusal.ts';

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

/** How often a waiting write starts over after the owner let go, or a write whose copy moved is sent again. */
const maxTries = 3;

/** A write that could not be carried from a copy that stood still, or waited too long for one: the client's 409 to retry. */
const moved = (error: unknown): unknown => (error instanceof BaseMoved || error instanceof QueueTimeout ? concurrentUpdate() : error);

/** The writes and first references of a tenant whose proxy upstream is `upstream` (opened by tenant-upstreams.ts). */
export class UpstreamProxy {
  readonly #service: CustomerService;
  readonly #store: Store;
  readonly #client: UpstreamClient;
  /** The upstream's own state taken in: first references, refetches, its webhooks. */
  readonly provider: ProviderState;

  /** This process, named by its claims (instance-heartbeat.ts); none where it keeps no heartbeat (Workers). */
  readonly #owner: ClaimOwner | undefined;
  /** The same four, as the step that sends to the provider takes them (proxy-carry.ts). */
  readonly #parts: ProxyParts;
  /** This app's proxied writes, one at a time per customer (update); one app per process. */
  readonly #writes = new WriteQueue();

  constructor(service: CustomerService, store: Store, client: UpstreamClient, owner?: ClaimOwner) {
    this.#service = service;
    this.#store = store;
    this.#client = client;
    this.#owner = owner;
    this.#parts = { service, store, client, owner };
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
    // Found only by what it sent (findSent): recorded under the key, so its retry knows when it was sent.
    const keyed = marker === undefined && !upstream.dialect.idempotency ? await keyId(ctx) : undefined;
    const prior = keyed !== undefined && ctx.retried ? await attemptOf(this.#store, upstream, keyed) : undefined;
    const recovered = ctx.retried ? await recoverCreate(this.#client, this.#store, upstream, marker, after, prior?.at) : undefined;
    if (keyed !== undefined && !recovered) {
      const attempt = { at: new Date().toISOString(), key: undefined, sent: after, livemode: ctx.principal.livemode };
      await recordAttempt(this.#store, upstream, keyed, attempt);
    }
    const pushed = recovered
      ? await heldAnswer(this.#service, undefined, fieldDefaults, after, recovered, ctx, upstream)
      : await carry(this.#parts, upstream, undefined, fieldDefaults, after, patch, ctx).catch((error: unknown) =>
          keyed === undefined ? Promise.reject(error) : settleRefused(this.#store, upstream, keyed, error),
        );
    let created: Customer;
    try {
      created = await this.#service.create(patch, ctx, {
        replicas,
        overlay: pushed.patch,
        link: { upstreamId: upstream.id, remoteId: pushed.upstreamId },
        ids: adoptedIds(pushed.upstreamId),
      });
    } catch (error) {
      // The provider holds the customer: the Idempotency-Key is kept for a retry to recover it.
      throw sentUpstream(error);
    }
    if (keyed !== undefined) await this.#store.attempts.drop(upstream.tenantId, upstream.id, keyed);
    return created;
  }

  /**
   * What the provider is sent is computed from the local copy (`after`: a replace-only field, a
   * Zenskar `custom_data` or a Meteroid address, is sent whole), so two writes of one customer
   * computed from the same copy would each send a state without the other's change, and the
   * provider keep only the last. This process's writes of a customer go one at a time (#writes),
   * and a write whose copy moved meanwhile (another process's) is not stored as it stood but sent
   * again from the new copy (BaseMoved), so the provider ends with every acknowledged change.
   */
  async update(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    kinds: readonly IdKind[],
    segment: string,
    patch: CustomerPatch,
    ctx: ProxyWrite,
  ): Promise<Customer> {
    const found = rowToCustomer(await this.provider.resolve(ctx.principal, kinds, segment, upstream, ctx.via));
    const key = `${ctx.principal.tenantId}/${upstream.id}/${found.uuid}`;
    try {
      return await this.#writes.run(key, this.#client.timeoutMs, async (waited) => {
        for (let tries = 1; ; tries++) {
          const current = waited || tries > 1 ? await this.#reread(ctx, found.uuid) : found;
          try {
            return await this.#updateFrom(upstream, replicas, current, patch, ctx);
          } catch (error) {
            if (!(error instanceof BaseMoved) || tries >= maxTries) throw error;
          }
        }
      });
    } catch (error) {
      throw moved(error);
    }
  }

  async #reread(ctx: ProxyWrite, uuid: string): Promise<Customer> {
    return rowToCustomer(await this.#service.find(ctx.principal, ['uuid'], uuid));
  }

  async #updateFrom(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    current: Customer,
    patch: CustomerPatch,
    ctx: ProxyWrite,
  ): Promise<Customer> {
    checkUpdateConditions(ctx, current);
    const link = await this.#store.upstreams.findLink(ctx.principal.tenantId, upstream.id, current.uuid);
    if (!link) return this.#createThere(upstream, replicas, current, patch, ctx);
    const after = applyPatch(current, patch);
    await this.#service.checkWrite(current, after, ctx, current.uuid);
    const pushed = await carry(this.#parts, upstream, link, current, after, patch, ctx);
    return this.#service.update(['uuid'], current.uuid, patch, ctx, { replicas, overlay: pushed.patch, basedOn: current.version });
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
    tries = 0,
  ): Promise<Customer> {
    const marker = createMarker(upstream.dialect, current.uuid, applyPatch(current, given));
    const patch: CustomerPatch = marker === undefined ? given : { ...given, external_id: set(marker) };
    const after = applyPatch(current, patch);
    await this.#service.checkWrite(current, after, ctx, current.uuid);
    const attempt = await attemptOf(this.#store, upstream, current.uuid);
    const claim = claimFor(this.#client.timeoutMs, this.#owner?.id ?? null);
    const owned = attempt !== undefined && !heldByOther(attempt) && (await takeAttempt(this.#store, upstream, current.uuid, claim));
    if (attempt !== undefined && !owned) return this.#awaitOther(upstream, replicas, current, given, ctx, tries);
    let pushed: Pushed;
    try {
      pushed = await this.#sendCreate(upstream, current, after, patch, ctx, { marker, attempt, claim: { claim, owned } });
    } catch (error) {
      if (error instanceof Contended) return this.#awaitOther(upstream, replicas, current, given, ctx, tries);
      await releaseAttempt(this.#store, upstream, current.uuid, claim);
      throw error;
    }
    return this.#service.update(['uuid'], current.uuid, patch, ctx, { replicas, overlay: pushed.patch });
  }

  /** Recovers what the recorded attempt left, or sends the create; this request holds the claim. */
  async #sendCreate(
    upstream: Upstream,
    current: Customer,
    after: CustomerFields,
    patch: CustomerPatch,
    ctx: ProxyWrite,
    own: { marker: string | undefined; attempt: CreateAttempt | undefined; claim: OwnClaim },
  ): Promise<Pushed> {
    const { marker, attempt } = own;
    const recovered =
      attempt &&
      (await recoverAttempt(this.#client, this.#store, upstream, current, attempt, own.claim.claim).catch((error: unknown) => {
        throw mayHold(undefined, inClientTerms(error, upstream.dialect, this.#client.dialectOf(ctx.dialect)));
      }));
    if (recovered) return this.#adopt(upstream, current, after, recovered, ctx);
    const createKey = createKeyFor(upstream, ctx.idempotencyKey);
    return carry(this.#parts, upstream, undefined, current, after, patch, ctx, { createKey, claim: own.claim }).then(
      async (created) => {
        await storeLink(this.#store, upstream, current.uuid, created.upstreamId);
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
  }

  /** Another request is creating this customer there now: nothing is sent; this write follows it (attempts.ts). */
  async #awaitOther(
    upstream: Upstream,
    replicas: readonly ReplicaTarget[] | undefined,
    current: Customer,
    given: CustomerPatch,
    ctx: ProxyWrite,
    tries: number,
  ): Promise<Customer> {
    const stored = async () => (await this.#service.find(ctx.principal, ['uuid'], current.uuid)).version !== current.version;
    const next = await awaitOwner(this.#store, upstream, current.uuid, {
      timeoutMs: this.#client.timeoutMs,
      canRetry: tries < maxTries,
      stored,
    });
    // Already in this customer's turn (UpstreamProxy.update): carried on from the copy as it is now.
    if (next === 'linked') return this.#updateFrom(upstream, replicas, await this.#reread(ctx, current.uuid), given, ctx);
    return this.#createThere(upstream, replicas, current, given, ctx, tries + 1);
  }

  /** Links the customer an earlier attempt left at the provider, then brings it to `after` where it differs. */
  async #adopt(upstream: Upstream, current: Customer, after: CustomerFields, found: Pushed, ctx: WriteRequest): Promise<Pushed> {
    const link = await storeLink(this.#store, upstream, current.uuid, found.upstreamId);
    const rest = stillToSend(upstream.dialect, after, found);
    if (rest === undefined) return heldAnswer(this.#service, link, current, after, found, ctx, upstream);
    return carry(this.#parts, upstream, link, current, after, rest, ctx);
  }
}
