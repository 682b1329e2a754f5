import { describe, expect, it } from 'vitest';
import { jsonInit } from './support/gateway.ts';
import { lostAnswerRig, providerCount } from './support/lost-answer.ts';

// The cut-over (docs/migrating.md, "Proxy: cut over"): a mirror becomes the proxy in place. A
// mirror's create whose answer was lost (the provider committed it, the gateway heard a reset) is
// still pending; made the proxy then, the gateway's first write of that customer created it at the
// provider a second time (another Idempotency-Key). `upstream mode … proxy` (PATCH
// /gateway/v1/upstreams/{id}) is refused while deliveries are pending or dead, as promote is;
// once the delivery's retry has linked the customer, the change goes through and the proxy
// updates the one customer there. A second custgate process plays Wooshpay, behind a forwarder
// that drops a create's answer.

const rig = lostAnswerRig();

describe('a mirror made the proxy while a create answer is lost', () => {
  it('is refused until the delivery is settled; then the proxy updates the one customer there', async () => {
    const { row, auth } = await rig.mirrorTenant('wooshpay', 'cut-over-pending');
    const made = await rig.local.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Cut Over' }, auth));
    const { id } = (await made.json()) as { id: string };
    const atB = await providerCount(rig.provider);
    rig.forwarder.dropNextCreate();
    expect(await rig.local.dispatcher.drain()).toMatchObject({ delivered: 0, dead: 0 });
    expect(await providerCount(rig.provider)).toBe(atB + 1);

    const toProxy = () => rig.local.request(`/gateway/v1/upstreams/${row.id}`, jsonInit('PATCH', { mode: 'proxy' }, auth));
    const refused = await toProxy();
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('pending');

    let delivered = 0;
    for (const until = Date.now() + 20_000; delivered === 0 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      delivered = (await rig.local.dispatcher.drain()).delivered;
    }
    expect(delivered).toBe(1);
    expect((await toProxy()).status).toBe(200);
    const updated = await rig.local.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Cut Over Ltd' }, auth));
    expect(updated.status).toBe(200);
    expect(await providerCount(rig.provider)).toBe(atB + 1);
  }, 60_000);

  it('promote --force is refused too while the lost create is unsettled, naming it; once delivered, forced, one customer there', async () => {
    const { row, auth } = await rig.mirrorTenant('wooshpay', 'promote-force-pending');
    const made = await rig.local.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Forced Over' }, auth));
    const { id } = (await made.json()) as { id: string };
    const atB = await providerCount(rig.provider);
    rig.forwarder.dropNextCreate();
    expect(await rig.local.dispatcher.drain()).toMatchObject({ delivered: 0, dead: 0 });
    expect(await providerCount(rig.provider)).toBe(atB + 1);

    const force = () => rig.local.request(`/gateway/v1/upstreams/${row.id}/promote`, jsonInit('POST', { force: true }, auth));
    const refused = await force();
    expect(refused.status).toBe(409);
    const said = await refused.text();
    expect(said).toContain('even by force');
    expect(said).toContain('outbox');
    expect((await rig.local.store.upstreams.find(row.tenant_id, row.id))?.mode).toBe('mirror');

    let delivered = 0;
    for (const until = Date.now() + 20_000; delivered === 0 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      delivered = (await rig.local.dispatcher.drain()).delivered;
    }
    expect(delivered).toBe(1);
    // Never reconciled: only force promotes it now, and the proxy updates the one customer there.
    const forced = await force();
    expect(forced.status, await forced.clone().text()).toBe(200);
    expect(await forced.json()).toMatchObject({ mode: 'proxy', forced: true });
    const updated = await rig.local.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Forced Over Ltd' }, auth));
    expect(updated.status).toBe(200);
    expect(await providerCount(rig.provider)).toBe(atB + 1);
  }, 60_000);
});
