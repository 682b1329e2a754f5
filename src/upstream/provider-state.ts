import type { Customer, CustomerPatch, IdKind } from '../../schemas/index.ts';
import { type CustomerService, rowToCustomer, uuidPattern, type WriteRequest, type WriteRoute } from '../core/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import type { CustomerRow, Store, UpstreamRow } from '../store/index.ts';
import type { Upstream, UpstreamClient } from './client.ts';

// The proxy upstream's own state coming in: a customer the gateway has not seen but the upstream
// has, fetched, stored and linked on first reference; a refetch (`?refresh=true`); the provider's
// webhooks. Nothing here is sent back to the provider: the writes going out are proxy.ts's.

export interface RemoteState {
  readonly id: string;
  readonly patch: CustomerPatch;
}

/**
 * Below this a provider's number is taken as the local one: the store's number is a 32-bit integer
 * on PostgreSQL, and the numbers drawn here after it (the highest one plus one) must fit too.
 */
const adoptableNumbers = 2 ** 30;

/**
 * The upstream's id as one of ours, when it has the shape: clients keep seeing the same id. A
 * number (Bigcapital's) too: a Bigcapital client names its customers by number, and a local
 * number of its own would let the provider's 3 name the local 3, another customer there. A
 * number a local customer holds already is not taken (CustomerService.create draws one then).
 */
export function adoptedIds(remoteId: string): WriteRoute['ids'] {
  if (/^cus_[A-Za-z0-9]{1,60}$/.test(remoteId)) return { public_id: remoteId };
  if (uuidPattern.test(remoteId)) return { uuid: remoteId.toLowerCase() };
  if (/^[1-9][0-9]{0,9}$/.test(remoteId) && Number(remoteId) < adoptableNumbers) return { number: Number(remoteId) };
  return undefined;
}

const notFound = (reference: string) => new GatewayError('not_found', `No such customer: '${reference}'`, { reference });

/** What a tenant's proxy upstream holds, taken into the local copy. */
export class ProviderState {
  readonly #service: CustomerService;
  readonly #store: Store;
  readonly #client: UpstreamClient;

  constructor(service: CustomerService, store: Store, client: UpstreamClient) {
    this.#service = service;
    this.#store = store;
    this.#client = client;
  }

  /**
   * A customer the local store does not have, found at the upstream by its id there (first
   * reference). `via`: the Via the request arrived with, carried onwards (loop.ts), so two
   * gateways proxying to each other stop at the first one the read comes back to.
   */
  async known(principal: Principal, segment: string, upstream: Upstream, localMiss: GatewayError, via?: string): Promise<Customer> {
    return rowToCustomer(await this.#known(principal, segment, upstream, localMiss, via));
  }

  /** Refetches a customer from the proxy upstream (gateway API `?refresh=true`). */
  async refresh(upstream: Upstream, principal: Principal, kinds: readonly IdKind[], segment: string): Promise<Customer> {
    const current = rowToCustomer(await this.resolve(principal, kinds, segment, upstream));
    const link = await this.#store.upstreams.findLink(principal.tenantId, upstream.id, current.uuid);
    if (!link) return current;
    const fetched = await this.#client.fetchLinked(upstream, link);
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
  async resolve(principal: Principal, kinds: readonly IdKind[], segment: string, upstream: Upstream, via?: string): Promise<CustomerRow> {
    try {
      return await this.#service.resolve(principal, kinds, segment);
    } catch (error) {
      if (!isGatewayError(error) || error.code !== 'not_found') throw error;
      return this.#known(principal, segment, upstream, error, via);
    }
  }

  async #known(
    principal: Principal,
    segment: string,
    upstream: Upstream,
    localMiss: GatewayError,
    via: string | undefined,
  ): Promise<CustomerRow> {
    const tenantId = principal.tenantId;
    const linked = async () => {
      const link = await this.#store.upstreams.findLinkByRemote(tenantId, upstream.id, segment);
      return link ? this.#service.resolve(principal, ['uuid'], link.customer_id) : undefined;
    };
    const already = await linked();
    if (already) return already;
    if (!upstream.dialect.client.isId(segment)) throw localMiss;
    const fetched = await this.#client.fetchCustomer(upstream, segment, via).catch((error: unknown) => {
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
