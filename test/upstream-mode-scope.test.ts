import { describe, expect, it } from 'vitest';
import type { Store } from '../src/store/index.ts';
import type { GatewayConfig } from '../src/config.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainTenant } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { bottomlessMeteroid } from './support/local-provider.ts';
import { mirrorTenant } from './support/mirror-rig.ts';
import { addUpstream, type CreatedTenant, createTenant, registeredDialects, reissueCredentials } from './support/registered.ts';
import { providerAndGateway } from './support/upstream.ts';

// What a key is shown of an upstream's records is its own mode's (docs/security.md, "Upstreams and
// key modes"): the creates whose answer was lost, a reconciliation's differences, the customers a
// resync names. A second custgate process plays the mirror provider; a Meteroid that drops every
// create (no Idempotency-Key, no marker field) leaves the lost creates.

const rig = providerAndGateway();
const meteroid = bottomlessMeteroid();

const bearer = (key: string | undefined) => ({ authorization: `Bearer ${key}` });

/** The tenant's test key, and a live key issued to it now (the tenant is live from then on). */
async function keysOf(store: Store, config: GatewayConfig, tenant: CreatedTenant) {
  const wooshpay = registeredDialects.find((d) => d.name === 'wooshpay');
  if (!wooshpay) throw new Error('wooshpay is not registered');
  const issued = await reissueCredentials(store, config, tenant.tenant, wooshpay, { livemode: true });
  return { test: bearer(tenant.credentials.wooshpay?.secret_key), live: bearer(issued.secret_key) };
}

describe('create attempts whose customer is not stored here', () => {
  it("are the mode of the key that sent them: each key lists and clears its own, not the other's", async () => {
    const { gw } = rig;
    const tenant = await createTenant(gw.store, gw.config, 'lost-modes');
    const keys = await keysOf(gw.store, gw.config, tenant);
    const upstream = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
      dialect: 'meteroid',
      baseUrl: meteroid.base,
      mode: 'proxy',
      credentials: { api_key: 'test-key' },
    });
    // A client's keyed create through the proxy: the provider drops its answer, nothing is stored here.
    for (const [auth, name] of [
      [keys.test, 'Lost Test'],
      [keys.live, 'Lost Live'],
    ] as const) {
      const lost = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name }, { ...auth, 'idempotency-key': `lost-${name}` }));
      expect(lost.status).toBe(503);
    }
    const path = `/gateway/v1/upstreams/${upstream.id}/create-attempts`;
    const seen = async (auth: Record<string, string>) =>
      ((await (await gw.request(path, { headers: auth })).json()) as { data: { customer_id: string; sent: { name: string } }[] }).data;
    const testSees = await seen(keys.test);
    const liveSees = await seen(keys.live);
    expect(testSees.map((a) => a.sent.name)).toEqual(['Lost Test']);
    expect(liveSees.map((a) => a.sent.name)).toEqual(['Lost Live']);
    const [own] = testSees;
    const [theirs] = liveSees;
    // Another mode's record is not there for a key to clear; its own is.
    expect((await gw.request(`${path}/${theirs?.customer_id}`, { method: 'DELETE', headers: keys.test })).status).toBe(404);
    expect((await gw.request(`${path}/${own?.customer_id}`, { method: 'DELETE', headers: keys.live })).status).toBe(404);
    expect((await gw.request(`${path}/${own?.customer_id}`, { method: 'DELETE', headers: keys.test })).status).toBe(200);
    expect((await seen(keys.live)).map((a) => a.sent.name)).toEqual(['Lost Live']);
  });
});

/** A mirror tenant with a test and a live key, a customer of each mode edited at the provider itself. */
async function driftedOfBothModes(name: string) {
  const { gw, provider } = rig;
  const { tenant, upstream } = await mirrorTenant(rig, name, 'wooshpay');
  const keys = await keysOf(gw.store, gw.config, tenant);
  const made: Record<'test' | 'live', string> = { test: '', live: '' };
  for (const mode of ['test', 'live'] as const) {
    const res = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Here ${mode}` }, keys[mode]));
    expect(res.status).toBe(200);
    const local = await gw.store.findCustomer(tenant.tenant.id, 'public_id', ((await res.json()) as { id: string }).id);
    made[mode] = local?.id ?? '';
  }
  await drainTenant(gw.dispatcher, gw.store.outbox, tenant.tenant.id);
  for (const mode of ['test', 'live'] as const) {
    const link = await gw.store.upstreams.findLink(tenant.tenant.id, upstream.id, made[mode]);
    const there = `${provider.baseUrl('wooshpay')}/v1/customers/${link?.remote_id}`;
    const edited = await fetch(there, jsonInit('POST', { name: `There ${mode}` }, bearer(provider.credentials.wooshpay.secret_key)));
    expect(edited.status).toBe(200);
  }
  return { tenant, upstream, keys, made };
}

describe('GET …/reconciliation', () => {
  it("shows a key the differences of its own mode's customers; the counts and what a promotion reads stay the whole book's", {
    timeout: 60_000,
  }, async () => {
    const { gw } = rig;
    const { tenant, upstream, keys, made } = await driftedOfBothModes('reconcile-modes');
    const path = `/gateway/v1/upstreams/${upstream.id}/reconciliation`;
    type Answer = {
      counts: { differing: number; linked: number };
      differences: { customer: string; fields: unknown[] }[];
      ids: string[][];
    };
    const answer = async (auth: Record<string, string>) => {
      const res = await gw.request(path, { headers: auth });
      expect(res.status).toBe(200);
      return (await res.json()) as Answer;
    };
    for (const mode of ['test', 'live'] as const) {
      const shown = await answer(keys[mode]);
      expect(shown.counts).toMatchObject({ differing: 2, linked: 2 });
      expect(shown.differences.map((d) => d.customer)).toEqual([made[mode]]);
      expect(shown.ids.map(([local]) => local)).toEqual([made[mode]]);
      // Recorded whole: a promotion and a resync read both customers.
      const last = (await gw.store.upstreams.history(tenant.tenant.id, upstream.id)).at(-1);
      const detail = JSON.parse(last?.detail ?? '{}') as { differences: number; differing_customers: string[] };
      expect(detail.differences).toBe(2);
      expect([...detail.differing_customers].sort()).toEqual([made.test, made.live].sort());
    }
  });

  it("names in the upstream's history (GET …/{id}) a key's own mode's differing customers only", { timeout: 60_000 }, async () => {
    const { gw } = rig;
    const { tenant, upstream, keys, made } = await driftedOfBothModes('history-modes');
    expect((await gw.request(`/gateway/v1/upstreams/${upstream.id}/reconciliation`, { headers: keys.live })).status).toBe(200);
    const recorded = (await gw.store.upstreams.history(tenant.tenant.id, upstream.id)).at(-1);
    const whole = JSON.parse(recorded?.detail ?? '{}') as { differences: number; differing_customers: string[] };
    expect([...whole.differing_customers].sort()).toEqual([made.test, made.live].sort());
    for (const mode of ['test', 'live'] as const) {
      const res = await gw.request(`/gateway/v1/upstreams/${upstream.id}`, { headers: keys[mode] });
      expect(res.status).toBe(200);
      const { history } = (await res.json()) as { history: { event: string; detail: string | null }[] };
      const reconciled = history.filter((s) => s.event === 'reconciled');
      expect(reconciled).toHaveLength(1);
      const detail = JSON.parse(reconciled[0]?.detail ?? '{}') as { differences: number; differing_customers: string[] };
      expect(detail.differing_customers).toEqual([made[mode]]);
      // The count stays the whole book's, as the reconciliation's own answer gives it.
      expect(detail.differences).toBe(whole.differences);
    }
  });
});

describe('POST …/resync', () => {
  it("answers a key naming another mode's customer as one that does not exist, and queues only its own mode's", {
    timeout: 60_000,
  }, async () => {
    const { gw } = rig;
    const { upstream, keys, made } = await driftedOfBothModes('resync-modes');
    const resync = (auth: Record<string, string>, body: unknown) =>
      gw.request(`/gateway/v1/upstreams/${upstream.id}/resync`, jsonInit('POST', body, auth));
    const nobody = await resync(keys.test, { customers: [crypto.randomUUID()] });
    expect(nobody.status).toBe(404);
    const nobodyBody = (await nobody.json()) as { error: { code: string } };
    for (const [mode, other] of [
      ['test', 'live'],
      ['live', 'test'],
    ] as const) {
      const res = await resync(keys[mode], { customers: [made[other]] });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(nobodyBody.error.code);
    }
    const own = await resync(keys.test, { customers: [made.test] });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { queued: { customer: string }[] }).queued.map((q) => q.customer)).toEqual([made.test]);

    // From the last reconciliation (both customers differ): a key's own mode's only.
    expect((await gw.request(`/gateway/v1/upstreams/${upstream.id}/reconciliation`, { headers: keys.live })).status).toBe(200);
    const fromLast = await resync(keys.live, {});
    expect(fromLast.status).toBe(200);
    const done = (await fromLast.json()) as { queued: { customer: string }[]; skipped: { customer: string }[] };
    expect([...done.queued, ...done.skipped].map((q) => q.customer)).toEqual([made.live]);
  });
});
