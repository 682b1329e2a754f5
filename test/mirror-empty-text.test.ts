import { describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect, ClientWrite } from '../src/contract/dialect.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { deliveriesOf, heldAtProvider, type MirrorRig, mirroredClient, mirrorTenant } from './support/mirror-rig.ts';
import { type CreatedTenant, registeredDialects } from './support/registered.ts';
import { providerAndGateway } from './support/upstream.ts';

// A Meteroid phone "" is a string kept as given; a Stripe-like provider has no such value (phone=""
// clears it, https://docs.stripe.com/api/customers/update), and Zenskar and Bigcapital keep a "" only
// where they hold one. A proxy refuses the write
// (test/upstream-exact-empty.test.ts); a mirror cannot refuse a committed write, so it delivers the
// nearest form the provider takes (no phone) and names phone as not carried, on a create and an update.

// Zenskar and Bigcapital hold "" (their references type the phone a string), and read a "" they
// are sent as none where they hold another value: sent as "", and named so. Meteroid keeps the ""
// it is given: delivered as "", held there, nothing named.
const emptiedNote: Partial<Record<DialectName, string>> = {
  wooshpay: 'the wooshpay API holds no empty text; sent as none',
  connhex: 'the connhex API holds no empty text; sent as none',
  zenskar: 'sent as "", which the zenskar API reads as none where it holds another value',
  bigcapital: 'sent as "", which the bigcapital API reads as none where it holds another value',
};
const mirrored = ['wooshpay', 'connhex', 'zenskar', 'bigcapital', 'meteroid'] as const satisfies readonly DialectName[];

/** A customer a Meteroid client creates (its create delivered), and its writes (each delivered). */
const throughMeteroid = (rig: MirrorRig, tenant: CreatedTenant, body: Record<string, unknown>) =>
  mirroredClient(rig, tenant, dialects.meteroid, body);

// An address member is text as the phone is: Meteroid keeps a city "" as given, Zenskar and
// Bigcapital hold one (their references type each member a string) and read one sent onto another
// value as none, a Stripe-like address has none (address[city]="" clears it).
describe.each(mirrored)('a Meteroid "" into a %s mirror', (dialect) => {
  const rig = providerAndGateway();
  const note = emptiedNote[dialect];

  it(`phone: ${note ? 'delivered as no phone, and named not carried' : 'delivered as "", and held'}`, { timeout: 60_000 }, async () => {
    const { tenant, upstream } = await mirrorTenant(rig, `empty-phone-${dialect}`, dialect);
    const { id, write } = await throughMeteroid(rig, tenant, { name: 'Blank Co', currency: 'USD', phone: '' });
    for (const phone of ['+33 1 23', '']) await write({ phone });

    // Each version delivered; the create and the emptying named, the phone set between them not.
    const named = new RegExp(`^not carried: phone \\(.*${dialect}`);
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => `${d.version} ${d.state} ${named.test(d.last_error ?? '')}`)).toEqual([
      `1 delivered ${note !== undefined}`,
      '2 delivered false',
      `3 delivered ${note !== undefined}`,
    ]);
    expect((await heldAtProvider(rig, tenant, upstream.id, id)).phone).toBe(note ? null : '');
    // The provider's phone went (it was sent none), so the record does not say it kept its value.
    const emptied = rows.find((d) => d.version === 3)?.last_error;
    expect(emptied).toBe(note ? `not carried: phone (${note})` : null);
  });

  it(`address city: ${note ? 'delivered as no city, and named not carried' : 'delivered as "", and held'}`, {
    timeout: 60_000,
  }, async () => {
    const { tenant, upstream } = await mirrorTenant(rig, `empty-city-${dialect}`, dialect);
    const address = { line1: '1 Main St', city: 'Oslo', country: 'NO' };
    const { id, write } = await throughMeteroid(rig, tenant, { name: 'City Co', currency: 'USD', billing_address: address });
    await write({ billing_address: { ...address, city: '' } });

    // (A Bigcapital mirror also names address.email, as for any address change: a whole address
    // clears it, which its reference has no form for, and the change alone cannot tell there is none.)
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => `${d.version} ${d.state}`)).toEqual(['1 delivered', '2 delivered']);
    expect(rows[0]?.last_error).toBeNull();
    const last = rows[1]?.last_error ?? null;
    if (note) expect(last?.startsWith('not carried: ') && last.endsWith(`address (${note})`), String(last)).toBe(true);
    else expect(last).toBeNull();
    const held = (await heldAtProvider(rig, tenant, upstream.id, id)).address as Record<string, unknown>;
    expect(held).toMatchObject({ line1: '1 Main St', city: note ? null : '' });
  });
});

// A "" the provider reads as none is sent as none and named so; one left out after all (its clear
// declared not carried, or refused by the provider's check) was not sent: the provider keeps its
// value, and the record says that. No provider here both reads "" as none and cannot clear a phone,
// so the mirror's Wooshpay client half is given such a declaration: the provider process is the
// real Wooshpay. Before, the note said "sent as none" while the provider kept its phone.
describe('a "" a mirror leaves out after all', () => {
  const wooshpay = dialects.wooshpay as AnyDialect;
  const noPhoneClear: AnyDialect = {
    ...wooshpay,
    client: {
      ...wooshpay.client,
      cannotCarry: (write: ClientWrite) => [
        ...(wooshpay.client.cannotCarry?.(write) ?? []),
        ...(write.patch.phone?.op === 'clear' ? ['phone'] : []),
      ],
    },
  };
  const rig = providerAndGateway(
    {},
    registeredDialects.map((d) => (d.name === 'wooshpay' ? noPhoneClear : d)),
  );

  it('is named as kept by the provider, which holds the value it had', { timeout: 60_000 }, async () => {
    const { gw } = rig;
    const { tenant, upstream } = await mirrorTenant(rig, 'empty-phone-kept', 'wooshpay');
    const meteroid = dialects.meteroid;
    const auth = fixturesOf(meteroid).auth(tenant.credentials.meteroid!);
    const path = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const created = await gw.request(path, jsonInit('POST', { name: 'Kept Co', currency: 'USD', phone: '+33 1 23' }, auth));
    expect(created.status, await created.clone().text()).toBeLessThan(300);
    const id = fixturesOf(meteroid).idOf((await created.json()) as Record<string, unknown>);
    expect(await drainSettled(gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    expect((await gw.request(`${path}/${id}`, jsonInit('PATCH', { phone: '' }, auth))).status).toBe(200);
    expect(await drainSettled(gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

    const emptied = (await deliveriesOf(rig, tenant, id)).find((d) => d.version === 2)?.last_error;
    expect(emptied).toBe('not carried: phone (the wooshpay API has no way to make this change; the provider keeps its value)');
    expect((await heldAtProvider(rig, tenant, upstream.id, id)).phone).toBe('+33 1 23');
  });
});

// A clear a JSON dialect sends as null (Zenskar's) empties a stored "" locally; a Stripe-like client
// half can only send it as "" (form bodies have no null), which keeps a "" the provider holds. A
// Stripe-like provider holds none (its "" is a clear, https://docs.stripe.com/api/customers/update):
// the "" reaches it as the clear it is, and the delivery names nothing.
describe.each(['wooshpay', 'connhex'] as const)('a Zenskar null clear of a Meteroid "" into a %s mirror', (dialect) => {
  const rig = providerAndGateway();

  it('is delivered as "", and the provider holds none, as the local customer does', { timeout: 60_000 }, async () => {
    const { tenant, upstream } = await mirrorTenant(rig, `null-clear-${dialect}`, dialect);
    const address = { line1: '', city: 'Oslo', country: 'NO' };
    const { id } = await throughMeteroid(rig, tenant, { name: 'Blank Co', currency: 'USD', phone: '', billing_address: address });
    const zenskar = dialects.zenskar;
    const canonical = await rig.gw.request(`/gateway/v1/customers/${id}`, {
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` },
    });
    const ref = fixturesOf(zenskar).ref(((await canonical.json()) as { ids: { uuid: string; public_id: string; number: number } }).ids);
    const cleared = await rig.gw.request(
      `${zenskar.routes.prefix}${zenskar.routes.collection}/${ref}`,
      jsonInit('PATCH', { phone_number: null, address: { line1: null } }, fixturesOf(zenskar).auth(tenant.credentials.zenskar!)),
    );
    expect(cleared.status, await cleared.clone().text()).toBe(200);
    expect(await drainSettled(rig.gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => [d.version, d.state, d.last_error])).toEqual([
      [1, 'delivered', `not carried: phone, address (${emptiedNote[dialect]})`],
      [2, 'delivered', null],
    ]);
    const held = await heldAtProvider(rig, tenant, upstream.id, id);
    expect([held.phone, (held.address as Record<string, unknown>).line1]).toEqual([null, null]);
  });
});
