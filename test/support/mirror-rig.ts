import { expect } from 'vitest';
import { type DialectName, fixturesOf } from '../../dialects/index.ts';
import type { AnyDialect } from '../../src/contract/dialect.ts';
import { drainSettled } from './drain-until.ts';
import { jsonInit } from './gateway.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { addUpstream, type CreatedTenant, createTenant } from './registered.ts';
import type { Provider, ReplicatingGateway } from './upstream.ts';

// A tenant mirroring to one dialect of the provider process, and what a mirror test reads back:
// the customer's deliveries, and the customer as the provider holds it.

export interface MirrorRig {
  readonly provider: Provider;
  readonly gw: ReplicatingGateway;
}

export interface Delivery {
  readonly version: number;
  readonly state: string;
  readonly last_error: string | null;
}

/** A new tenant with one mirror upstream: the provider's `dialect`. */
export async function mirrorTenant(rig: MirrorRig, name: string, dialect: DialectName) {
  const { provider, gw } = rig;
  const tenant = await createTenant(gw.store, gw.config, name);
  const upstream = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
    dialect,
    baseUrl: provider.baseUrl(dialect),
    mode: 'mirror',
    credentials: provider.credentials[dialect],
  });
  return { tenant, upstream };
}

const gatewayKey = (tenant: CreatedTenant) => ({ authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` });

/** The customer's deliveries, oldest first. */
export async function deliveriesOf(rig: MirrorRig, tenant: CreatedTenant, id: string): Promise<Delivery[]> {
  const res = await rig.gw.request(`/gateway/v1/customers/${id}/deliveries`, { headers: gatewayKey(tenant) });
  return ((await res.json()) as { data: Delivery[] }).data;
}

/** The customer as the provider holds it (its canonical view there). */
export async function heldAtProvider(
  rig: MirrorRig,
  tenant: CreatedTenant,
  upstreamId: string,
  id: string,
): Promise<Record<string, unknown>> {
  const links = await rig.gw.request(`/gateway/v1/customers/${id}/links`, { headers: gatewayKey(tenant) });
  const remote = ((await links.json()) as { data: { upstream_id: string; remote_id: string }[] }).data.find(
    (l) => l.upstream_id === upstreamId,
  )!.remote_id;
  const held = await fetch(`${rig.provider.base}/gateway/v1/customers/${remote}`, {
    headers: { authorization: `Bearer ${rig.provider.credentials.wooshpay.secret_key}` },
  });
  return (await held.json()) as Record<string, unknown>;
}

/** A dialect's client writing to the gateway: a create, then updates, each one's delivery drained. */
export async function mirroredClient(rig: MirrorRig, tenant: CreatedTenant, dialect: AnyDialect, body: Record<string, unknown>) {
  const auth = fixturesOf(dialect).auth(tenant.credentials[dialect.name]!);
  const path = `${dialect.routes.prefix}${dialect.routes.collection}`;
  const created = await rig.gw.request(path, jsonInit('POST', body, auth));
  expect(created.status, await created.clone().text()).toBeLessThan(300);
  const id = fixturesOf(dialect).idOf((await created.json()) as Record<string, unknown>);
  expect(await drainSettled(rig.gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
  const write = async (change: Record<string, unknown>) => {
    const res = await rig.gw.request(`${path}/${id}`, jsonInit(dialect.routes.update, change, auth));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await drainSettled(rig.gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
  };
  return { id: String(id), write };
}
