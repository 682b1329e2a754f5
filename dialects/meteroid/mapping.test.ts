import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type Customer, clear, exempt, fieldDefaults, merge, set, stateDefaults } from '../../schemas/index.ts';
import { addressOp, render, toPatch, vatCountry } from './mapping.ts';
import { CreateRequestMeteroid, UpdateRequestMeteroid } from './request.ts';

const customer = (fields: Partial<Customer> = {}): Customer => ({
  ...fieldDefaults,
  ...stateDefaults,
  uuid: '6f1c1b0e-8d4e-4c55-9f39-0d7f3f6f0c11',
  public_id: 'cus_abc123',
  number: 1,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...fields,
});

const address = {
  line1: '1 Main St',
  line2: null,
  line3: 'Suite 9',
  city: 'Paris',
  state: null,
  postal_code: '75001',
  country: 'FR',
  email: null,
  phone: null,
};
const parse = (body: unknown) => v.parse(UpdateRequestMeteroid, body);

describe('meteroid mapping: body -> patch', () => {
  it('leaves a field unchanged when it is absent or null: Meteroid cannot clear', () => {
    expect(toPatch(parse({}))).toEqual({});
    expect(toPatch(parse({ name: null, phone: null, billing_address: null, vat_number: null, is_tax_exempt: null }))).toEqual({});
  });

  it('stores "" as a value, and ignores unknown fields', () => {
    expect(toPatch(parse({ phone: '', nickname: 'x' }))).toEqual({ phone: set('') });
  });

  it('takes "" for name and invoicing entity (shown for none) as none, a phone with an extension, and refuses an email that is none', () => {
    expect(toPatch(parse({ name: '', invoicing_entity_id: '' }))).toEqual({ name: clear, invoicing_entity_id: clear });
    expect(v.safeParse(UpdateRequestMeteroid, { billing_email: 'nope' }).success).toBe(false);
    expect(v.safeParse(UpdateRequestMeteroid, { phone: '+1 (555) 111-2222 ext 1234' }).success).toBe(true);
  });

  it('maps billing_email, zip_code and is_tax_exempt onto their canonical names', () => {
    const patch = toPatch(parse({ billing_email: 'a@b.example', is_tax_exempt: true, billing_address: { zip_code: '10115' } }));
    expect(patch.email).toEqual(set('a@b.example'));
    // true is exempt of either kind: a stored reverse charge stays one.
    expect(patch.tax_exempt).toEqual(exempt);
    expect(toPatch(parse({ is_tax_exempt: false })).tax_exempt).toEqual(set('none'));
    expect(patch.address).toMatchObject({ op: 'merge', value: { postal_code: set('10115') } });
  });

  it('replaces the address members it shows, and keeps line3, contact email and phone it cannot show', () => {
    expect(addressOp({ city: 'Oslo', country: 'NO' })).toEqual(
      merge({ line1: clear, line2: clear, city: set('Oslo'), state: clear, postal_code: clear, country: set('NO') }),
    );
  });

  it('replaces the shipping flag and address, leaving a shipping name or phone alone', () => {
    expect(toPatch(parse({ shipping_address: { same_as_billing: false } })).shipping).toEqual(
      merge({ same_as_billing: set(false), address: clear }),
    );
  });

  it('same as billing, leaves the shipping address as it is (the address shown is the billing one)', () => {
    expect(toPatch(parse({ shipping_address: { same_as_billing: true, address: { city: 'Paris' } } })).shipping).toEqual(
      merge({ same_as_billing: set(true) }),
    );
  });

  it('sets the VAT entry of the tax ids (keyed by type, so other tax ids stay)', () => {
    expect(toPatch(parse({ vat_number: 'EL094259216' })).tax_ids).toEqual(
      merge({ VAT: set({ type: 'VAT', value: 'EL094259216', country: 'GR' }) }),
    );
    expect(vatCountry('DE123456789')).toBe('DE');
    expect(vatCountry('123456789')).toBeNull();
    expect(vatCountry('XX123')).toBeNull();
  });

  it('requires name and currency on create only, and normalises the country', () => {
    expect(v.safeParse(CreateRequestMeteroid, { name: 'A' }).success).toBe(false);
    expect(v.safeParse(UpdateRequestMeteroid, {}).success).toBe(true);
    expect(parse({ billing_address: { country: 'fr' } }).billing_address?.country).toBe('FR');
  });
});

describe('meteroid mapping: customer -> response', () => {
  it('shows what Meteroid requires even when nothing is stored: the canonical currency, "" name and invoicing entity', () => {
    expect(render(customer())).toMatchObject({
      id: 'cus_abc123',
      name: '',
      currency: 'USD',
      invoicing_entity_id: '',
      shipping_address: null,
      vat_number: null,
    });
  });

  it('shows the billing address as the shipping address when same_as_billing', () => {
    const shown = render(
      customer({ address, shipping: { name: 'Dock', phone: null, same_as_billing: true, address: { ...address, city: 'Lyon' } } }),
    );
    expect(shown.billing_address).toEqual({
      line1: '1 Main St',
      line2: null,
      city: 'Paris',
      country: 'FR',
      state: null,
      zip_code: '75001',
    });
    expect(shown.shipping_address).toEqual({ same_as_billing: true, address: shown.billing_address });
  });

  it('shows the VAT entry among other tax ids, and reverse charge as tax exempt', () => {
    const shown = render(
      customer({
        tax_exempt: 'reverse',
        tax_ids: [
          { type: 'GST', value: '123', country: 'AU' },
          { type: 'vat', value: 'FR40303265045', country: 'FR' },
        ],
      }),
    );
    expect(shown).toMatchObject({ vat_number: 'FR40303265045', is_tax_exempt: true });
    expect(render(customer({ tax_exempt: 'none' })).is_tax_exempt).toBe(false);
  });
});
