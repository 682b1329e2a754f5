import { describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { deliveriesOf, heldAtProvider, mirrorTenant } from './support/mirror-rig.ts';
import { providerAndGateway } from './support/upstream.ts';

// A Zenskar custom_data value "" is a key with an empty value (Zenskar keeps it); a Stripe-like
// provider has no such value (`metadata[k]=""` deletes the key, https://docs.stripe.com/api/metadata).
// A proxy refuses the write (test/upstream-exact.test.ts); a mirror cannot refuse a committed write,
// so it delivers every other key of the same write and names only the "" key as not carried.

describe('a Zenskar "" custom_data value into a Stripe-like mirror', () => {
  const rig = providerAndGateway();

  // Connhex has no metadata member (its reference's update body): only Wooshpay is Stripe-like here.
  for (const dialect of ['wooshpay'] as const satisfies readonly DialectName[]) {
    it(`${dialect}: the other keys of the write are delivered; only the "" key is named not carried`, { timeout: 60_000 }, async () => {
      const { gw } = rig;
      const { tenant, upstream } = await mirrorTenant(rig, `empty-value-${dialect}`, dialect);
      const zenskar = fixturesOf(dialects.zenskar).auth(tenant.credentials.zenskar!);
      const created = await gw.request(
        '/zenskar/customers',
        jsonInit('POST', { customer_name: 'Blank Co', custom_data: { plan: 'silver', draft: '' } }, zenskar),
      );
      expect(created.status).toBeLessThan(300);
      const { id } = (await created.json()) as { id: string };
      expect(await drainSettled(gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

      const changed = await gw.request(
        `/zenskar/customers/${id}`,
        jsonInit('PATCH', { custom_data: { plan: 'gold', seats: '5', notes: '' } }, zenskar),
      );
      expect(changed.status).toBe(200);
      expect(await drainSettled(gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

      // A later change of another key names nothing: the "" key is the customer's, not this change's.
      const merged = await gw.request(
        `/zenskar/customers/${id}`,
        jsonInit('PATCH', { custom_data: { plan: 'platinum', seats: '5', notes: '' } }, zenskar),
      );
      expect(merged.status, await merged.clone().text()).toBe(200);
      expect(await drainSettled(gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

      const rows = await deliveriesOf(rig, tenant, id);
      expect(rows.map((d) => [d.version, d.state])).toEqual([
        [1, 'delivered'],
        [2, 'delivered'],
        [3, 'delivered'],
      ]);
      expect(rows[0]!.last_error).toMatch(new RegExp(`^not carried: metadata\\.draft \\(.*${dialect}`));
      expect(rows[1]!.last_error).toMatch(new RegExp(`^not carried: metadata\\.notes \\(.*${dialect}`));
      expect(rows[2]!.last_error).toBeNull();

      expect((await heldAtProvider(rig, tenant, upstream.id, id)).metadata).toEqual({ plan: 'platinum', seats: '5' });
    });
  }

  // A key "" (Zenskar's custom_data takes any key) has no form in Stripe's metadata, whose keys are
  // names: over JSON the provider held it, a form body says `metadata[]=x`, which it refuses.
  it('wooshpay: a key "" is left out and named; the other keys are delivered', { timeout: 60_000 }, async () => {
    const { gw } = rig;
    const { tenant, upstream } = await mirrorTenant(rig, 'empty-key-wooshpay', 'wooshpay');
    const zenskar = fixturesOf(dialects.zenskar).auth(tenant.credentials.zenskar!);
    const created = await gw.request(
      '/zenskar/customers',
      jsonInit('POST', { customer_name: 'Key Co', custom_data: { '': 'x', plan: 'gold' } }, zenskar),
    );
    expect(created.status).toBeLessThan(300);
    const { id } = (await created.json()) as { id: string };
    expect(await drainSettled(gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    const [row] = await deliveriesOf(rig, tenant, id);
    expect(row).toMatchObject({ version: 1, state: 'delivered', last_error: expect.stringMatching(/^not carried: metadata \(.*wooshpay/) });
    expect((await heldAtProvider(rig, tenant, upstream.id, id)).metadata).toEqual({ plan: 'gold' });
  });
});
