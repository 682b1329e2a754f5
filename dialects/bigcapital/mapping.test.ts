import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { clear, clearToEmpty, type Customer, fieldDefaults, merge, set, stateDefaults } from '../../schemas/index.ts';
import { render, toCreatePatch, toPatch } from './mapping.ts';
import { CreateRequestBigcapital, UpdateRequestBigcapital } from './request.ts';
import { CustomerResponseBigcapital } from './seed-response.ts';

const required = { customerType: 'business', displayName: 'Acme' } as const;

const parse = (body: unknown) => v.parse(UpdateRequestBigcapital, body);

function customer(overrides: Partial<Customer> = {}): Customer {
  return {
    ...fieldDefaults,
    ...stateDefaults,
    uuid: '9b0c6a55-0d0e-4d55-9e6e-0d1c2b3a4f50',
    public_id: 'cus_abcdefghijklmn',
    number: 7,
    version: 1,
    created_at: '2026-01-02T03:04:05.678Z',
    updated_at: '2026-01-03T03:04:05.678Z',
    ...overrides,
  } as Customer;
}

const address = {
  line1: '123 Business Ave',
  line2: null,
  line3: null,
  city: 'New York',
  state: 'NY',
  postal_code: '10001',
  country: 'US',
  email: 'billing@acme.example',
  phone: null,
};

describe('request -> patch', () => {
  it('always sets the required customerType and displayName, and nothing absent', () => {
    expect(toPatch(parse(required))).toEqual({ customer_type: set('business'), name: set('Acme') });
  });

  it('clears on null and on "", sets a value', () => {
    const patch = toPatch(parse({ ...required, workPhone: null, personalPhone: '', note: 'VIP', website: 'https://a.example' }));
    expect(patch.phone).toEqual(clear);
    // "" keeps a stored "" (schemas/patch.ts, ClearOp.keepsEmpty); null clears whatever is stored.
    expect(patch.mobile_phone).toEqual(clearToEmpty);
    expect(patch.description).toEqual(set('VIP'));
    expect(patch.website).toEqual(set('https://a.example'));
  });

  it('maps the names, salutation, company and email', () => {
    const patch = toPatch(
      parse({ ...required, salutation: 'Ms.', firstName: 'Jane', lastName: 'Roe', companyName: 'Roe Ltd', email: 'jane@roe.example' }),
    );
    expect(patch).toMatchObject({
      salutation: set('Ms.'),
      first_name: set('Jane'),
      last_name: set('Roe'),
      company_name: set('Roe Ltd'),
      email: set('jane@roe.example'),
    });
  });

  it('patches the billing address member by member; Zipcode is the postal code; a country name becomes ISO-2', () => {
    const patch = toPatch(
      parse({
        ...required,
        billingAddressCity: 'New York',
        billingAddressZipcode: '10001',
        billingAddressCountry: 'United States',
        billingAddress2: null,
      }),
    );
    expect(patch.address).toEqual(merge({ city: set('New York'), postal_code: set('10001'), country: set('US'), line2: clear }));
    expect(patch.shipping).toBeUndefined();
  });

  it('accepts common and official country names, aliases and ISO codes, keeping a name as given', () => {
    // The name shown for the code anyway is no name to keep.
    expect(toPatch(parse({ ...required, billingAddressCountry: 'Germany' })).address).toEqual(merge({ country: set('DE') }));
    for (const [name, code] of [
      ['United States of America', 'US'],
      ['USA', 'US'],
      ['us', 'US'],
      ['UK', 'GB'],
      ['Viet Nam', 'VN'],
      ['Holland', 'NL'],
      ['Deutschland', 'DE'],
      ['Turkey', 'TR'],
    ]) {
      const patch = toPatch(parse({ ...required, billingAddressCountry: name }));
      expect(patch.address, name).toEqual(merge({ country: set(code), country_name: set(name) }));
    }
  });

  it('keeps a country name that names no country known, as given (Bigcapital takes any text)', () => {
    const patch = toPatch(parse({ ...required, billingAddressCountry: 'Narnia' }));
    expect(patch.address).toEqual(merge({ country: clear, country_name: set('Narnia') }));
  });

  it('takes *Postcode, as responses name it, for the postal code', () => {
    expect(toPatch(parse({ ...required, billingAddressPostcode: '10001' })).address).toEqual(merge({ postal_code: set('10001') }));
  });

  it('patches the shipping address member by member (apply-patch decides whether same-as-billing ends)', () => {
    const patch = toPatch(parse({ ...required, shippingAddressPhone: '+1 555', shippingAddressEmail: null, shippingAddressCountry: null }));
    expect(patch.shipping).toEqual(merge({ address: merge({ phone: set('+1 555'), email: clear, country: clear, country_name: clear }) }));
  });

  it('takes displayName "" (how a customer with no name is shown) as no name', () => {
    expect(toPatch(parse({ ...required, displayName: '' })).name).toEqual(clearToEmpty);
  });

  it('sets active, and null resets it', () => {
    expect(toPatch(parse({ ...required, active: false })).active).toEqual(set(false));
    expect(toPatch(parse({ ...required, active: null })).active).toEqual(clear);
  });

  it('ignores unknown and read-only properties', () => {
    const patch = toPatch(parse({ ...required, balance: 99, currencyCode: 'EUR', createdAt: '2020-01-01T00:00:00Z', foo: 1 }));
    expect(patch).toEqual({ customer_type: set('business'), name: set('Acme') });
  });

  it('sets the currency on create only', () => {
    expect(toCreatePatch(v.parse(CreateRequestBigcapital, { ...required, currencyCode: 'EUR' })).currency).toEqual(set('EUR'));
  });
});

describe('request validation', () => {
  const issuesOf = (body: unknown) =>
    (v.safeParse(UpdateRequestBigcapital, body).issues ?? []).map((i) => i.path?.map((p) => p.key).join('.'));

  it('names every invalid property at once', () => {
    expect(issuesOf({ email: '', billingAddressEmail: '', shippingAddressEmail: 'x', customerType: '', active: 'yes' })).toEqual([
      'customerType',
      'displayName',
      'email',
      'active',
      'billingAddressEmail',
      'shippingAddressEmail',
    ]);
  });

  it("takes a long displayName, a phone with an extension and any customerType, as Bigcapital's DTO does", () => {
    const body = { ...required, customerType: 'government', displayName: 'x'.repeat(257), workPhone: '+1 (555) 123-4567 ext. 890' };
    expect(issuesOf(body)).toEqual([]);
  });
});

describe('canonical -> response', () => {
  it('fills every required property of the seed response for a customer with nothing set', () => {
    const c = customer();
    const shown = render(c);
    expect(v.safeParse(CustomerResponseBigcapital, shown).issues).toBeUndefined();
    expect(shown).toEqual({
      id: 7,
      balance: 0,
      currencyCode: 'USD',
      openingBalance: 0,
      openingBalanceAt: c.created_at,
      openingBalanceExchangeRate: 1,
      customerType: 'business',
      displayName: '',
      note: '',
      active: true,
      createdAt: c.created_at,
      updatedAt: c.updated_at,
      localOpeningBalance: 0,
      closingBalance: 0,
    });
  });

  it('shows stored fields under Bigcapital names: Postcode, country name, displayName, note', () => {
    const shown = render(
      customer({
        name: 'Acme Corp',
        customer_type: 'individual',
        description: 'VIP',
        phone: '+1 555 0100',
        mobile_phone: '+1 555 0101',
        currency: 'EUR',
        balance: 1500,
        opening_balance: 1000,
        opening_balance_exchange_rate: 2,
        opening_balance_branch_id: 3,
        address,
        shipping: { name: 'Dock', phone: null, same_as_billing: false, address: { ...address, country: 'DE', city: 'Berlin' } },
      }),
    );
    expect(v.safeParse(CustomerResponseBigcapital, shown).issues).toBeUndefined();
    expect(shown).toMatchObject({
      customerType: 'individual',
      displayName: 'Acme Corp',
      note: 'VIP',
      workPhone: '+1 555 0100',
      personalPhone: '+1 555 0101',
      currencyCode: 'EUR',
      balance: 1500,
      closingBalance: 1500,
      localOpeningBalance: 2000,
      openingBalanceBranchId: 3,
      billingAddress1: '123 Business Ave',
      billingAddressPostcode: '10001',
      billingAddressCountry: 'United States',
      billingAddressEmail: 'billing@acme.example',
      shippingAddressCity: 'Berlin',
      shippingAddressCountry: 'Germany',
    });
    expect(shown).not.toHaveProperty('billingAddress2');
    expect(shown).not.toHaveProperty('billingAddressZipcode');
  });

  it('shows the billing address as shipping when shipping is the same as billing', () => {
    const shown = render(customer({ address, shipping: { name: null, phone: null, same_as_billing: true, address: null } }));
    expect(shown.shippingAddress1).toBe('123 Business Ave');
    expect(shown.shippingAddressCountry).toBe('United States');
  });
});
