import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { deliveriesOf, heldAtProvider, mirroredClient, mirrorTenant } from './support/mirror-rig.ts';
import { providerAndGateway } from './support/upstream.ts';

// A mirror delivery sends a changed address whole (src/outbox/delivery-work.ts); its not-carried
// note names what the provider is left holding another value for, judged against what it holds
// (src/outbox/last-given.ts). A Bigcapital mirror names address.email where a contact email it was
// given is cleared (its reference has no form for that), not for every address sent with none,
// and again on each later address change while it keeps that email. A "" address member the
// provider holds as none (Stripe-like forms have no "", Zenskar and Bigcapital read one sent onto
// none as none) is named on each delivery of the address, not only on the change that made it "".

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

const emptiedNote = {
  zenskar: 'sent as "", which the zenskar API reads as none where it holds another value',
  bigcapital: 'sent as "", which the bigcapital API reads as none where it holds another value',
  wooshpay: 'the wooshpay API holds no empty text; sent as none',
} as const;

/**
 * A Meteroid client's customer at a `dialect` mirror, created with `city` and written with each of
 * `cities` (line1 changed every time): the notes of its deliveries, and the address the provider holds.
 */
async function cityWrites(dialect: keyof typeof emptiedNote, name: string, city: string, cities: readonly string[]) {
  const { tenant, upstream } = await mirrorTenant(rig, name, dialect);
  const address = { line1: '1 Main St', city, country: 'NO' };
  const { id, write } = await mirroredClient(rig, tenant, dialects.meteroid, {
    name: 'Blank Co',
    currency: 'USD',
    billing_address: address,
  });
  for (const [n, next] of cities.entries()) await write({ billing_address: { ...address, city: next, line1: `${n + 2} Main St` } });
  const rows = await deliveriesOf(rig, tenant, id);
  return { notes: rows.map((d) => d.last_error), held: (await heldAtProvider(rig, tenant, upstream.id, id)).address };
}

describe.each(['zenskar', 'bigcapital', 'wooshpay'] as const)('a %s mirror and a "" address member it was given', (dialect) => {
  const note = `not carried: address (${emptiedNote[dialect]})`;

  it('names the address when the member is made "", and again on a later change of another member: the provider holds none', {
    timeout: 60_000,
  }, async () => {
    const { notes, held } = await cityWrites(dialect, `empty-kept-${dialect}`, 'Oslo', ['', '']);
    expect(notes).toEqual([null, note, note]);
    // The "" went as none at the second version, and the third's "" onto none is none again.
    expect(held).toMatchObject({ line1: '3 Main St', city: null });
  });

  it('names a "" the create gave, and again on a later change of another member: the provider holds none', {
    timeout: 60_000,
  }, async () => {
    const { notes, held } = await cityWrites(dialect, `empty-created-${dialect}`, '', ['']);
    expect(notes).toEqual([note, note]);
    expect(held).toMatchObject({ line1: '2 Main St', city: null });
  });
});
