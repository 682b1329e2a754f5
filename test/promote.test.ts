import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, type GatewayApp, addUpstream, replicationFor } from './support/registered.ts';
import { recordReconciliation } from '../src/upstream/cut-over.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// #27: the cut-over through the gateway API. A mirror becomes the proxy only once nothing is left
// to deliver to it and its last reconciliation found no difference; forcing it is recorded as
// forced; demote goes back to mirror; each step is in the upstream's history with its time.

let gw: TestGateway;
/** The same store, with mirrors replicated to (deliveries recorded; nothing drains them here). */
let app: GatewayApp;
let upstreamId: string;
const key = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` });
const promote = (body?: unknown) =>
  gw.request(
    `/gateway/v1/upstreams/${upstreamId}/promote`,
    body === undefined ? { method: 'POST', headers: key() } : jsonInit('POST', body, key()),
  );
type Detail = { mode: string; forced?: boolean; history: { event: string; mode: string; detail: string | null; at: string }[] };

beforeAll(async () => {
  gw = await testGateway();
  const logger = { error: () => undefined };
  app = createApp({
    store: gw.store,
    config: gw.config,
    logger,
    replication: { ...replicationFor(gw.store, gw.config), drainAfterWrite: false },
  });
  // A provider that is not there: deliveries to it stay pending.
  const added = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: 'http://127.0.0.1:9/wooshpay',
    mode: 'mirror',
    credentials: { secret_key: 'sk_test_provider' },
  });
  upstreamId = added.id;
});

describe('promote and demote', () => {
  it('refused while deliveries are pending, then without a clean reconciliation; forced, recorded as forced', async () => {
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Pending' }, key()));
    expect(created.status).toBe(200);
    const pending = await promote();
    expect(pending.status).toBe(409);
    expect(JSON.stringify(await pending.json())).toContain('pending');

    // The deliveries are settled (here: dropped, as `custgate outbox drop` does).
    const rows = await gw.store.outbox.list({ tenantId: gw.tenant.tenant.id });
    await gw.store.outbox.drop(rows);
    const unreconciled = await promote();
    expect(unreconciled.status).toBe(409);
    expect(JSON.stringify(await unreconciled.json())).toContain('never been reconciled');

    await recordReconciliation(gw.store, gw.tenant.tenant.id, upstreamId, 2);
    const differing = await promote({ force: false });
    expect(differing.status).toBe(409);
    expect(JSON.stringify(await differing.json())).toContain('found 2 differences');

    const forced = await promote({ force: true });
    expect(forced.status).toBe(200);
    const body = (await forced.json()) as Detail;
    expect(body).toMatchObject({ mode: 'proxy', forced: true });
    const step = body.history.at(-1)!;
    expect(step).toMatchObject({ event: 'promoted', mode: 'proxy' });
    expect(JSON.parse(step.detail!)).toMatchObject({ forced: true });
    expect(Number.isNaN(Date.parse(step.at))).toBe(false);
  });

  it('demote goes back to mirror; promote is accepted after a clean reconciliation with nothing pending', async () => {
    const demoted = await gw.request(`/gateway/v1/upstreams/${upstreamId}/demote`, { method: 'POST', headers: key() });
    expect(demoted.status).toBe(200);
    expect(((await demoted.json()) as Detail).mode).toBe('mirror');
    await recordReconciliation(gw.store, gw.tenant.tenant.id, upstreamId, 0);
    const accepted = await promote();
    expect(accepted.status).toBe(200);
    const body = (await accepted.json()) as Detail;
    expect(body).toMatchObject({ mode: 'proxy', forced: false });
    expect(body.history.map((h) => h.event)).toEqual(['added', 'reconciled', 'promoted', 'demoted', 'reconciled', 'promoted']);
    const again = await gw.request(`/gateway/v1/upstreams/${upstreamId}/promote`, { method: 'POST', headers: key() });
    expect(again.status).toBe(409);
  });

  it('steps made in the same millisecond keep their order: the last reconciliation is the one promote reads', async () => {
    const demoted = await gw.request(`/gateway/v1/upstreams/${upstreamId}/demote`, { method: 'POST', headers: key() });
    expect(demoted.status).toBe(200);
    const at = new Date();
    for (const differences of [3, 0, 1, 4, 2, 0]) await recordReconciliation(gw.store, gw.tenant.tenant.id, upstreamId, differences, at);
    const shown = (await (await gw.request(`/gateway/v1/upstreams/${upstreamId}`, { headers: key() })).json()) as Detail;
    const recorded = shown.history.slice(-6).map((h) => JSON.parse(h.detail ?? '{}').differences);
    expect(recorded).toEqual([3, 0, 1, 4, 2, 0]);
    const accepted = await promote();
    expect(accepted.status, await accepted.clone().text()).toBe(200);
  });

  it('another tenant cannot promote it; bad bodies are refused', async () => {
    const other = { authorization: `Bearer ${gw.other.credentials.wooshpay!.secret_key}` };
    expect((await gw.request(`/gateway/v1/upstreams/${upstreamId}/demote`, { method: 'POST', headers: other })).status).toBe(404);
    expect((await promote({ force: 'yes' })).status).toBe(400);
    expect((await promote({ quickly: true })).status).toBe(400);
    const nothing = await promote(null);
    expect(nothing.status).toBe(400);
    expect(await nothing.json()).toEqual({ error: { code: 'invalid_request', message: 'The body must be an object.' } });
  });

  it('demote refuses a parameter it does not take, and leaves the mode as it was', async () => {
    const detail = async () => (await (await gw.request(`/gateway/v1/upstreams/${upstreamId}`, { headers: key() })).json()) as Detail;
    const before = (await detail()).mode;
    const res = await gw.request(`/gateway/v1/upstreams/${upstreamId}/demote`, jsonInit('POST', { force: true }, key()));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Unknown parameter: force');
    expect((await detail()).mode).toBe(before);
    // A body that is no object is refused too: before, a JSON array was read as no parameters, and demoted.
    const listed = await gw.request(`/gateway/v1/upstreams/${upstreamId}/demote`, jsonInit('POST', ['force'], key()));
    expect(listed.status).toBe(400);
    expect((await detail()).mode).toBe(before);
    // Nor is JSON null (before: read as no parameters, and demoted); no body at all still is none.
    const nothing = await gw.request(`/gateway/v1/upstreams/${upstreamId}/demote`, jsonInit('POST', null, key()));
    expect(nothing.status).toBe(400);
    expect((await detail()).mode).toBe(before);
  });
});
