import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonInit } from './support/gateway.ts';
import { until } from './support/edge-receiver.ts';
import { type BehindForwarder, behindForwarder, proxyTenant } from './support/lost-answer.ts';

// A provider that answers a create after the gateway gave up on it (CUSTGATE_UPSTREAM_TIMEOUT_MS):
// the gateway answers 504, the provider still commits the customer a moment later. Meteroid and
// Bigcapital take no Idempotency-Key and have no marker, so the client's retry (the stripe SDK
// retries a 504 at once, under the same key) looks for the customer in the provider's list. Before,
// finding nothing there yet, it sent the create again: the provider ended with two customers, one
// linked to nothing (seen with two gateways and a slow forwarder). Now a retry that comes while the
// abandoned create may still land (up to twice the timeout after it was sent) is a retryable 503,
// and a later one finds the first customer and links it.

let setup: BehindForwarder;

beforeAll(async () => {
  setup = await behindForwarder({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '2000' });
}, 180_000);

afterAll(() => setup?.close());

it.each(['meteroid', 'bigcapital'] as const)(
  'a %s upstream: a keyed retry right after the 504 sends nothing; the provider holds one customer, linked',
  async (dialect) => {
    const { gw, forwarder } = setup;
    const tenant = await proxyTenant(setup, dialect, `slow-create-${dialect}`);
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}`, 'idempotency-key': `slow-${dialect}` };
    const create = () => gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Slow ${dialect}`, email: 's@example.com' }, auth));
    const [arrived, created] = [forwarder.arrived(), forwarder.creates()];

    // Committed 3.8 s after it was sent: the 504 comes at 2 s, and the retry must come before the commit.
    forwarder.holdNextCreate(3_800);
    expect((await create()).status).toBe(504);
    const early = await create();
    expect(early.status, await early.clone().text()).toBe(503);
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(forwarder.arrived()).toBe(arrived + 1);

    // The held create reaches the provider, which commits it; the next retry finds and links it.
    await until(() => forwarder.creates() === created + 1);
    const retry = await create();
    expect(retry.status, await retry.clone().text()).toBe(200);
    expect(forwarder.arrived()).toBe(arrived + 1);
    const uuid = ((await retry.json()) as { id: string }).id;
    const ids = (await gw.request(`/gateway/v1/customers/${uuid}`, { headers: auth }).then((r) => r.json())) as { ids: { uuid: string } };
    expect(await gw.store.upstreams.linksOf(tenant.tenant.id, ids.ids.uuid)).toHaveLength(1);
  },
);
