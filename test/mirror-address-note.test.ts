import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { deliveriesOf, heldAtProvider, mirroredClient, mirrorTenant } from './support/mirror-rig.ts';
import { providerAndGateway } from './support/upstream.ts';

// A mirror delivery sends a changed address whole (src/outbox/delivery-work.ts); its not-carried
// note names only what the provider is left holding another value for, judged against what it was
// last given. Before: a Bigcapital mirror named address.email on every address change (a whole
// address clears the contact email, which Bigcapital's reference has no form for, even where none
// was ever given), and a Zenskar or Bigcapital mirror named the address again on each later change
// while a "" member it was sent (and named) before stayed.

const rig = providerAndGateway();

/** A Bigcapital mirror's customer, created through Bigcapital with a billing address contact email. */
async function withContactEmail(name: string, displayName: string) {
  const { tenant, upstream } = await mirrorTenant(rig, name, 'bigcapital');
  const required = { customerType: 'business', displayName };
  const client = await mirroredClient(rig, tenant, dialects.bigcapital, {
    ...required,
    billingAddressCity: 'Oslo',
    billingAddressEmail: 'billing@mail.example',
  });
  return { tenant, upstream, required, ...client };
}

describe('a Bigcapital mirror and the address contact email', () => {
  it('names no address.email for an address change where none was given', { timeout: 60_000 }, async () => {
    const { tenant } = await mirrorTenant(rig, 'no-email-noise', 'bigcapital');
    const address = { line1: '1 Main St', city: 'Oslo', country: 'NO' };
    const { id, write } = await mirroredClient(rig, tenant, dialects.meteroid, {
      name: 'Street Co',
      currency: 'USD',
      billing_address: address,
    });
    await write({ billing_address: { ...address, city: 'Bergen' } });
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => [d.version, d.state, d.last_error])).toEqual([
      [1, 'delivered', null],
      [2, 'delivered', null],
    ]);
  });

  it('names address.email where the provider was given one and the change clears it: it keeps it', { timeout: 60_000 }, async () => {
    const { tenant, upstream, id, write, required } = await withContactEmail('email-cleared', 'Mail Co');
    await write({ ...required, billingAddressCity: 'Bergen' });
    await write({ ...required, billingAddressEmail: null });
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => [d.version, d.last_error])).toEqual([
      [1, null],
      [2, null],
      [3, 'not carried: address.email (the bigcapital API has no way to make this change; the provider keeps its value)'],
    ]);
    expect((await heldAtProvider(rig, tenant, upstream.id, id)).address).toMatchObject({
      city: 'Bergen',
      email: 'billing@mail.example',
    });
  });

  it('names address.email again on a later address change while the provider still keeps it', { timeout: 60_000 }, async () => {
    const { tenant, upstream, id, write, required } = await withContactEmail('email-kept-later', 'Kept Co');
    await write({ ...required, billingAddressEmail: null });
    await write({ ...required, billingAddressCity: 'Bergen' });
    await write({ ...required, displayName: 'Kept Co 2' });
    await write({ ...required, billingAddressEmail: 'new@mail.example' });
    await write({ ...required, billingAddressCity: 'Trondheim' });
    const kept = 'not carried: address.email (the bigcapital API has no way to make this change; the provider keeps its value)';
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => [d.version, d.last_error])).toEqual([
      [1, null],
      [2, kept],
      // The provider still holds the email the local customer no longer has: the address changed, so it is named again.
      [3, kept],
      [4, null],
      [5, null],
      [6, null],
    ]);
    expect((await heldAtProvider(rig, tenant, upstream.id, id)).address).toMatchObject({
      city: 'Trondheim',
      email: 'new@mail.example',
    });
  });
});

describe.each(['zenskar', 'bigcapital'] as const)('a %s mirror and a "" address member it was given', (dialect) => {
  it('names the address when the member is made "", not again on a later change of another member', {
    timeout: 60_000,
  }, async () => {
    const { tenant, upstream } = await mirrorTenant(rig, `empty-kept-${dialect}`, dialect);
    const address = { line1: '1 Main St', city: 'Oslo', country: 'NO' };
    const { id, write } = await mirroredClient(rig, tenant, dialects.meteroid, {
      name: 'Blank Co',
      currency: 'USD',
      billing_address: address,
    });
    await write({ billing_address: { ...address, city: '' } });
    await write({ billing_address: { ...address, city: '', line1: '2 Main St' } });
    const rows = await deliveriesOf(rig, tenant, id);
    const note = `not carried: address (sent as "", which the ${dialect} API reads as none where it holds another value)`;
    expect(rows.map((d) => [d.version, d.last_error])).toEqual([
      [1, null],
      [2, note],
      [3, null],
    ]);
    // The provider holds what it held after the second version: the "" went as none there.
    expect((await heldAtProvider(rig, tenant, upstream.id, id)).address).toMatchObject({ line1: '2 Main St', city: null });
  });
});
