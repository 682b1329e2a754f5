import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type Address, type Customer, type CustomerPatch, clear, fieldDefaults, merge, set, stateDefaults } from '../../schemas/index.ts';
import { applyPatch } from '../../src/core/apply-patch.ts';
import { render, toPatch } from './mapping.ts';
import { UpdateRequestBigcapital } from './request.ts';
import { fromPatch } from './from-patch.ts';

const base: Customer = {
  ...fieldDefaults,
  ...stateDefaults,
  uuid: '9b0c6a55-0d0e-4d55-9e6e-0d1c2b3a4f50',
  public_id: 'cus_abcdefghijklmn',
  number: 7,
  version: 1,
  created_at: '2026-01-02T03:04:05.678Z',
  updated_at: '2026-01-03T03:04:05.678Z',
  name: 'Old Name',
  customer_type: 'individual',
  email: 'old@acme.example',
  phone: '+1 555 0000',
  address: {
    line1: 'Old line 1',
    line2: 'Old line 2',
    line3: null,
    city: 'Boston',
    state: 'MA',
    postal_code: '02101',
    country: 'US',
    email: 'old-billing@acme.example',
    phone: '+1 555 0001',
  },
  shipping: {
    name: null,
    phone: null,
    same_as_billing: false,
    address: {
      line1: 'Old ship 1',
      line2: null,
      line3: null,
      city: 'Chicago',
      state: 'IL',
      postal_code: '60601',
      country: 'US',
      email: null,
      phone: null,
    },
  },
};

const paris: Address = {
  line1: '10 Rue de Rivoli',
  line2: null,
  line3: null,
  city: 'Paris',
  state: null,
  postal_code: '75004',
  country: 'FR',
  email: 'compta@acme.example',
  phone: null,
};

/** What a caller does with the loss report: supplies the required properties it names. */
const supplied = { customerType: base.customer_type, displayName: base.name };

/** Bigcapital's view of the customer after the patch, and after the patch's trip through a PUT body. */
function roundTrip(patch: CustomerPatch) {
  const { body } = fromPatch(patch);
  const parsed = v.parse(UpdateRequestBigcapital, { ...supplied, ...body });
  const view = (p: CustomerPatch) => render({ ...base, ...applyPatch(base, p) });
  return { expected: view(patch), actual: view(toPatch(parsed)) };
}

const fields = (patch: CustomerPatch) => fromPatch(patch).losses.map((l) => `${l.field}:${l.kind}`);

describe('bigcapital fromPatch: happy', () => {
  it('maps every field Bigcapital writes to its property', () => {
    const { body } = fromPatch({
      customer_type: set('business'),
      name: set('Acme'),
      salutation: set('Ms.'),
      first_name: set('Jane'),
      last_name: set('Roe'),
      company_name: set('Roe Ltd'),
      email: set('jane@roe.example'),
      phone: set('+1 555 1234'),
      mobile_phone: set('+1 555 9876'),
      website: set('https://roe.example'),
      description: set('VIP'),
      active: set(false),
    });
    expect(body).toEqual({
      customerType: 'business',
      displayName: 'Acme',
      salutation: 'Ms.',
      firstName: 'Jane',
      lastName: 'Roe',
      companyName: 'Roe Ltd',
      email: 'jane@roe.example',
      workPhone: '+1 555 1234',
      personalPhone: '+1 555 9876',
      website: 'https://roe.example',
      note: 'VIP',
      active: false,
    });
  });

  it('invents no customerType or displayName: it reports both as required for the caller to supply', () => {
    const { body, losses } = fromPatch({ phone: set('+1 555') });
    expect(body).toEqual({ workPhone: '+1 555' });
    expect(losses).toEqual([
      { field: 'customerType', kind: 'required', message: expect.stringContaining('customerType') },
      { field: 'displayName', kind: 'required', message: expect.stringContaining('displayName') },
    ]);
    expect(fields({ name: set('Acme') })).toEqual(['customerType:required']);
    expect(fields({ customer_type: set('business') })).toEqual(['displayName:required']);
  });

  it('clears with null, also the email (Bigcapital refuses "" there)', () => {
    const { body } = fromPatch({ email: clear, phone: clear, description: clear, active: clear });
    expect(body).toEqual({ email: null, workPhone: null, note: null, active: null });
    expect(v.safeParse(UpdateRequestBigcapital, { ...supplied, ...body }).success).toBe(true);
  });

  it('sends an ISO country as its English name, an exact round trip (no loss)', () => {
    const { body, losses } = fromPatch({ address: merge({ country: set('DE') }) });
    expect(body).toEqual({ billingAddressCountry: 'Germany' });
    expect(losses.filter((l) => l.field.startsWith('address'))).toEqual([]);
  });

  it('sends a country name as it was given', () => {
    const { body } = fromPatch({ address: merge({ country: set('GB'), country_name: set('UK') }) });
    expect(body).toEqual({ billingAddressCountry: 'UK' });
  });

  it('patches the billing address member by member: Zipcode is the postal code, null clears one', () => {
    const { body } = fromPatch({
      address: merge({ line1: set('1 Main St'), postal_code: set('10001'), line2: clear, email: set('b@acme.example') }),
    });
    expect(body).toEqual({
      billingAddress1: '1 Main St',
      billingAddressZipcode: '10001',
      billingAddress2: null,
      billingAddressEmail: 'b@acme.example',
    });
  });

  it('replaces a whole address by sending every member, null where it has none', () => {
    const { body } = fromPatch({ address: set(paris) });
    expect(body).toEqual({
      billingAddress1: '10 Rue de Rivoli',
      billingAddress2: null,
      billingAddressCity: 'Paris',
      billingAddressState: null,
      billingAddressZipcode: '75004',
      billingAddressCountry: 'France',
      billingAddressEmail: 'compta@acme.example',
      billingAddressPhone: null,
    });
  });

  it('writes the shipping address to the shippingAddress… properties', () => {
    const { body } = fromPatch({ shipping: merge({ address: merge({ city: set('Lyon'), country: set('FR') }) }) });
    expect(body).toEqual({ shippingAddressCity: 'Lyon', shippingAddressCountry: 'France' });
  });

  it('copies the billing address given to the shipping address for same-as-billing, reported as lossy', () => {
    const { body, losses } = fromPatch({ address: set(paris), shipping: merge({ same_as_billing: set(true), address: clear }) });
    expect(body).toMatchObject({ shippingAddress1: '10 Rue de Rivoli', shippingAddressCity: 'Paris', shippingAddressCountry: 'France' });
    expect(losses).toContainEqual({ field: 'shipping.same_as_billing', kind: 'lossy', message: expect.any(String) });
  });
});

describe('bigcapital fromPatch: round trip', () => {
  const patches: Record<string, CustomerPatch> = {
    'every plain field set': {
      customer_type: set('business'),
      name: set('Acme'),
      salutation: set('Dr.'),
      first_name: set('Ada'),
      last_name: set('Lovelace'),
      company_name: set('Analytical Engines'),
      email: set('ada@engines.example'),
      phone: set('+44 20 0000'),
      mobile_phone: set('+44 7700 0000'),
      website: set('https://engines.example'),
      description: set('First programmer'),
      active: set(false),
    },
    'every plain field cleared': {
      salutation: clear,
      first_name: clear,
      last_name: clear,
      company_name: clear,
      email: clear,
      phone: clear,
      mobile_phone: clear,
      website: clear,
      description: clear,
      active: clear,
    },
    'billing address merged': { address: merge({ line1: set('1 Main St'), line2: clear, country: set('CA'), phone: set('+1 416') }) },
    'billing address replaced': { address: set(paris) },
    'billing address cleared': { address: clear },
    'shipping address merged': { shipping: merge({ address: merge({ city: set('Lyon'), email: set('ship@acme.example') }) }) },
    'shipping replaced': { shipping: set({ name: null, phone: null, same_as_billing: false, address: paris }) },
    'shipping cleared': { shipping: clear },
    'shipping same as a replaced billing address': {
      address: set(paris),
      shipping: merge({ same_as_billing: set(true), address: clear }),
    },
  };

  for (const [name, patch] of Object.entries(patches)) {
    it(`${name}: the PUT body gives Bigcapital the same customer as the patch`, () => {
      const { expected, actual } = roundTrip(patch);
      expect(actual).toEqual(expected);
    });
  }

  it('the seed example survives request -> patch -> body -> patch unchanged', () => {
    const seed = v.parse(UpdateRequestBigcapital, {
      customerType: 'business',
      displayName: 'John Doe - Acme Corporation',
      salutation: 'Mr.',
      email: 'john.doe@acme.example',
      personalPhone: '+1 (555) 987-6543',
      billingAddress2: 'Suite 100',
      billingAddressCountry: 'United States',
      billingAddressEmail: 'billing@acme.example',
      shippingAddress1: '456 Shipping St',
      shippingAddressZipcode: '90001',
      active: true,
    });
    const patch = toPatch(seed);
    const { body } = fromPatch(patch);
    expect(toPatch(v.parse(UpdateRequestBigcapital, body))).toEqual(patch);
  });
});

describe('bigcapital fromPatch: losses', () => {
  it('reports what Bigcapital cannot carry: an address line3, a shipping recipient, a same-as-billing flag alone', () => {
    expect(fields({ address: merge({ line3: set('Floor 3') }) })).toContain('address.line3:unsupported');
    expect(fields({ address: set({ ...paris, line3: 'Floor 3' }) })).toContain('address.line3:unsupported');
    // A whole address without a line3 would clear a stored one, which Bigcapital keeps.
    expect(fields({ address: set(paris) })).toContain('address.line3:unsupported');
    expect(fields({ address: merge({ city: set('Paris') }) })).not.toContain('address.line3:unsupported');
    expect(fields({ shipping: merge({ name: set('Jenny'), phone: set('+1') }) })).toEqual(
      expect.arrayContaining(['shipping.name:unsupported', 'shipping.phone:unsupported']),
    );
    const alone = fromPatch({ shipping: merge({ same_as_billing: set(true) }) });
    expect(alone.body).toEqual({});
    expect(alone.losses).toContainEqual({ field: 'shipping.same_as_billing', kind: 'unsupported', message: expect.any(String) });
  });

  it('does not claim to carry a value set to "": Bigcapital reads it as a clear (sent as "", which keeps a stored ""; an email refuses "")', () => {
    const { body, losses } = fromPatch({ website: set(''), email: set('') });
    expect(body).toEqual({ website: '', email: null });
    expect(losses).toContainEqual({ field: 'website', kind: 'lossy', message: expect.any(String) });
    expect(losses).toContainEqual({ field: 'email', kind: 'lossy', message: expect.any(String) });
  });

  it('leaves out a value Bigcapital would refuse, so the body is still accepted', () => {
    const { body, losses } = fromPatch({
      customer_type: set('business'),
      email: set('a@b.c'),
      address: merge({ city: set('Paris'), email: set('not-an-email') }),
    });
    expect(body).toEqual({ customerType: 'business', billingAddressCity: 'Paris' });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual([
      'email:inexpressible',
      'address.email:inexpressible',
      'displayName:required',
    ]);
    expect(v.safeParse(UpdateRequestBigcapital, { ...body, displayName: 'Acme' }).success).toBe(true);
  });
});
