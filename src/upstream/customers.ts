import type { Customer, CustomerPatch, IdKind } from '../../schemas/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { isGatewayError } from '../contract/errors.ts';
import type { CustomerService, WriteRequest } from '../core/index.ts';
import { CheckFailed, type Step, type UpstreamRow } from '../store/index.ts';
import type { ProxyWrite, UpstreamProxy } from './proxy.ts';
import type { RemoteState } from './provider-state.ts';
import type { TenantUpstreams, Upstreams } from './tenant-upstreams.ts';

// Each write goes to the local service, with the tenant's replicas, unless the tenant has a proxy
// upstream: only then is the proxy (proxy.ts) in the way. Whether it has one is kept per process
// and checked with one point read (tenant-upstreams.ts). Reads go to the local store; only a
// local miss asks whether a proxy upstream may know the customer.

/** The customer operations the request pipeline and the gateway API use. */
export interface Customers {
  /** `via`: the Via the request arrived with, carried to the proxy upstream on a local miss (loop.ts). */
  get(principal: Principal, kinds: readonly IdKind[], segment: string, via?: string): Promise<Customer>;
  /** A retrieve: the customer, or the tombstone of a deleted one (each dialect answers it its own way). */
  read(principal: Principal, kinds: readonly IdKind[], segment: string, via?: string): Promise<{ customer: Customer; deleted: boolean }>;
  delete(
    kinds: readonly IdKind[],
    segment: string,
    request: WriteRequest,
    again: 'same' | 'not_found',
  ): Promise<{ customer: Customer; deleted: boolean }>;
  create(patch: CustomerPatch, request: ProxyWrite): Promise<Customer>;
  update(kinds: readonly IdKind[], segment: string, patch: CustomerPatch, request: ProxyWrite): Promise<Customer>;
  events: CustomerService['events'];
  /** Refetches a customer from the proxy upstream (gateway API `?refresh=true`). */
  refresh(principal: Principal, kinds: readonly IdKind[], segment: string): Promise<Customer>;
  /** The proxy upstream's own state of one of its customers (its webhook), taken into the local copy. */
  takeIn(principal: Principal, upstream: Pick<UpstreamRow, 'id' | 'dialect'>, remote: RemoteState): Promise<Customer>;
  /** The proxy upstream deleted one of its customers (its webhook): the local copy follows; undefined when none is linked. */
  takeDelete(
    principal: Principal,
    upstream: Pick<UpstreamRow, 'id' | 'dialect'>,
    remoteId: string,
  ): Promise<{ customer: Customer; deleted: boolean } | undefined>;
}

/** How a write goes: through the proxy upstream, or local with these replicas (and checks, when routed on what was kept). */
interface Route {
  readonly proxy: TenantUpstreams['proxy'];
  readonly replicas: TenantUpstreams['replicas'] | undefined;
  readonly checks: readonly Step[] | undefined;
}

export class TenantCustomers implements Customers {
  readonly #service: CustomerService;
  readonly #upstreams: Upstreams;
  readonly #proxy: UpstreamProxy;
  readonly #keptReplicas: boolean;

  /**
   * `keptReplicas`: the write path's ReplicaLookup port is `upstreams.replicas`, so the replicas come
   * with the proxy decision, in one read; otherwise the core asks its own port (or has none).
   */
  constructor(service: CustomerService, upstreams: Upstreams, proxy: UpstreamProxy, keptReplicas: boolean) {
    this.#service = service;
    this.#upstreams = upstreams;
    this.#proxy = proxy;
    this.#keptReplicas = keptReplicas;
  }

  async #tenant(tenantId: string): Promise<{ proxy: TenantUpstreams['proxy']; replicas: TenantUpstreams['replicas'] | undefined }> {
    const found = await this.#upstreams.of(tenantId);
    return this.#keptReplicas ? found : { proxy: found.proxy, replicas: undefined };
  }

  /**
   * Runs a write routed by the tenant's upstreams. Where the process keeps them and the store can
   * check them inside the write (tenant-upstreams.ts, `kept`), the write goes local on what is
   * kept, with that check in its atomic unit: no read before it. Should they have changed (another
   * process or the CLI added, switched or removed one), the unit is undone and the write runs
   * again on them as they are now, so a change still takes effect on the very next write.
   */
  async #routed<T>(tenantId: string, write: (route: Route) => Promise<T>): Promise<T> {
    const kept = this.#upstreams.kept(tenantId);
    if (kept) {
      try {
        return await write({ proxy: undefined, replicas: this.#keptReplicas ? kept.upstreams.replicas : undefined, checks: [kept.check] });
      } catch (error) {
        if (!(error instanceof CheckFailed)) throw error;
      }
    }
    return write({ ...(await this.#tenant(tenantId)), checks: undefined });
  }

  get events(): CustomerService['events'] {
    return (principal, kinds, segment) => this.#service.events(principal, kinds, segment);
  }

  async get(principal: Principal, kinds: readonly IdKind[], segment: string, via?: string): Promise<Customer> {
    try {
      return await this.#service.get(principal, kinds, segment);
    } catch (error) {
      if (!isGatewayError(error) || error.code !== 'not_found') throw error;
      const { proxy } = await this.#upstreams.of(principal.tenantId);
      if (!proxy) throw error;
      return this.#proxy.provider.known(principal, segment, proxy, error, via);
    }
  }

  async read(
    principal: Principal,
    kinds: readonly IdKind[],
    segment: string,
    via?: string,
  ): Promise<{ customer: Customer; deleted: boolean }> {
    try {
      return await this.#service.read(principal, kinds, segment);
    } catch (error) {
      if (!isGatewayError(error) || error.code !== 'not_found') throw error;
      return { customer: await this.get(principal, kinds, segment, via), deleted: false };
    }
  }

  create(patch: CustomerPatch, request: ProxyWrite): Promise<Customer> {
    return this.#routed(request.principal.tenantId, ({ proxy, replicas, checks }) => {
      if (proxy) return this.#proxy.create(proxy, replicas, patch, request);
      return this.#service.create(patch, request, { replicas, checks });
    });
  }

  update(kinds: readonly IdKind[], segment: string, patch: CustomerPatch, request: ProxyWrite): Promise<Customer> {
    return this.#routed(request.principal.tenantId, ({ proxy, replicas, checks }) => {
      if (proxy) return this.#proxy.update(proxy, replicas, kinds, segment, patch, request);
      return this.#service.update(kinds, segment, patch, request, { replicas, checks });
    });
  }

  delete(kinds: readonly IdKind[], segment: string, request: WriteRequest, again: 'same' | 'not_found') {
    return this.#routed(request.principal.tenantId, ({ proxy, replicas, checks }) => {
      if (proxy) return this.#proxy.delete(proxy, replicas, kinds, segment, request, again);
      return this.#service.delete(kinds, segment, request, again, { replicas, checks });
    });
  }

  async refresh(principal: Principal, kinds: readonly IdKind[], segment: string): Promise<Customer> {
    const { proxy } = await this.#upstreams.of(principal.tenantId);
    if (!proxy) return this.get(principal, kinds, segment);
    return this.#proxy.provider.refresh(proxy, principal, kinds, segment);
  }

  takeIn(principal: Principal, upstream: Pick<UpstreamRow, 'id' | 'dialect'>, remote: RemoteState): Promise<Customer> {
    return this.#proxy.provider.takeIn(principal, upstream, remote);
  }

  takeDelete(principal: Principal, upstream: Pick<UpstreamRow, 'id' | 'dialect'>, remoteId: string) {
    return this.#proxy.provider.takeDelete(principal, upstream, remoteId);
  }
}
