import { afterAll, beforeAll, expect } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../../dialects/index.ts';
import type { CustomerFields } from '../../schemas/index.ts';
import type { CreatedTenant } from './registered.ts';
import { fieldsOf } from './dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from './gateway.ts';
import { canonicalOn } from './pairs.ts';
import { type Provider, startProvider, tenantsPerUpstream } from './upstream.ts';

// One gateway proxying into a second custgate process (the provider), a tenant per upstream
// dialect, and the calls test/upstream-exact*.test.ts make through it: started before a file's
// tests, stopped after.

/** The gateway, the provider and the tenants, set once the file's beforeAll has run. */
export interface ProxyRig {
  provider: Provider;
  gw: TestGateway;
  tenants: Map<DialectName, CreatedTenant>;
}

export function proxyRig() {
  const rig = {} as ProxyRig;
  beforeAll(async () => {
    rig.provider = await startProvider();
    rig.gw = await testGateway();
    rig.tenants = await tenantsPerUpstream(rig.gw, rig.provider, 'proxy');
  });
  afterAll(async () => {
    await rig.provider?.process.stop();
  });

  async function call(client: DialectName, upstream: DialectName, method: string, path: string, body: unknown) {
    const dialect = dialects[client];
    const auth = fixturesOf(dialect).auth(rig.tenants.get(upstream)!.credentials[client]!);
    const url = `${dialect.routes.prefix}${dialect.routes.collection}${path}`;
    const res = await rig.gw.request(url, body === undefined ? { method, headers: auth } : jsonInit(method, body, auth));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function created(client: DialectName, upstream: DialectName, body: unknown): Promise<string> {
    const res = await call(client, upstream, 'POST', '', body);
    expect(res.status, JSON.stringify(res.body)).toBe(dialects[client].wire.createdStatus);
    return fixturesOf(dialects[client]).idOf(res.body);
  }

  /** The customer on A and at the provider (B, by its link), as canonical fields. */
  async function bothSides(
    upstream: DialectName,
    id: string,
  ): Promise<{ local: CustomerFields; remote: CustomerFields; remoteUuid: string }> {
    const key = rig.tenants.get(upstream)!.credentials.wooshpay!.secret_key!;
    const local = await canonicalOn(rig.gw.request, id, key);
    const links = await rig.gw.request(`/gateway/v1/customers/${local.ids.uuid}/links`, { headers: { authorization: `Bearer ${key}` } });
    const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
    const onB = (path: string, init?: RequestInit) => fetch(`${rig.provider.base}${path}`, init);
    const remote = await canonicalOn(onB, link!.remote_id, rig.provider.credentials.wooshpay.secret_key!);
    return { local: fieldsOf(local), remote: fieldsOf(remote), remoteUuid: remote.ids.uuid as string };
  }

  /** An update the upstream cannot carry: refused with the client's status, naming the upstream; nothing changes. */
  async function refusedUpdate(client: DialectName, upstream: DialectName, id: string, body: unknown, status: number) {
    const before = await bothSides(upstream, id);
    const res = await call(client, upstream, dialects[client].routes.update, `/${encodeURIComponent(id)}`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(JSON.stringify(res.body)).toContain(`The ${upstream} upstream cannot carry`);
    expect(await bothSides(upstream, id)).toEqual(before);
    return res.body;
  }

  return { rig, call, created, bothSides, refusedUpdate };
}
