import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  type Address,
  type CustomerFields,
  type CustomerPatch,
  clear,
  type FieldName,
  fieldDefaults,
  merge,
  type Shipping,
  set,
} from '../../schemas/index.ts';
import { applyPatch } from '../../src/core/apply-patch.ts';
import { patchToDialect } from '../../src/gateway/translate.ts';
import { meteroid } from './index.ts';
import { toPatch } from './mapping.ts';
import { UpdateRequestMeteroid } from './request.ts';
import { fromPatch } from './from-patch.ts';

const address = (fields: Partial<Address> = {}): Address => ({
  line1: null,
  line2: null,
  line3: null,
  city: null,
  state: null,
  postal_code: null,
  country: null,
  email: null,
  phone: null,
  ...fields,
});

const paris = address({ line1: '10 Rue de Rivoli', line2: 'Bât. B', city: 'Paris', postal_code: '75004', country: 'FR' });

/** A customer with something in every field Meteroid carries, and in some it cannot show. */
const rich: CustomerFields = {
  ...fieldDefaults,
  alias: 'acme',
  name: 'Acme',
  email: 'old@acme.example',
  invoicing_emails: ['a@acme.example'],
  phone: '+33 1 00 00 00 00',
  currency: 'USD',
  address: address({ ...paris, line3: 'Cedex 4', email: 'desk@acme.example', phone: '+33 1 11' }),
  shipping: { name: 'Dock', phone: '+33 1 22', same_as_billing: false, address: address({ line1: '1 Quai', city: 'Lyon', country: 'FR' }) },
  tax_exempt: 'exempt',
  tax_ids: [
    { type: 'GST', value: '123', country: 'AU' },
    { type: 'VAT', value: 'FR40303265045', country: 'FR' },
  ],
  custom_taxes: [{ name: 'Eco', rate: '0.5', tax_code: 'ECO' }],
  metadata: { plan: 'gold' },
  invoicing_entity_id: 'ive_1',
  website: 'https://acme.example',
};

const starts = { empty: fieldDefaults, rich } as const;

/**
 * What Meteroid carries of an address: the members it reads and writes. An address left with only
 * a contact email or phone (which Meteroid keeps when it empties one, as its coverage says) is none.
 */
function carriedAddress(a: Address | null) {
  const members = a && { line1: a.line1, line2: a.line2, city: a.city, state: a.state, postal_code: a.postal_code, country: a.country };
  return members && Object.values(members).some((m) => m !== null) ? members : null;
}
function carriedShipping(s: Shipping | null) {
  const address = carriedAddress(s?.address ?? null);
  return s && (s.same_as_billing || address) ? { same_as_billing: s.same_as_billing, address } : null;
}
const carried = (fields: CustomerFields, field: FieldName): unknown =>
  field === 'address' ? carriedAddress(fields.address) : field === 'shipping' ? carriedShipping(fields.shipping) : fields[field];

/** The translation, checked as Meteroid would check it, read back into a canonical patch. */
function roundTrip(patch: CustomerPatch) {
  const { body, losses } = patchToDialect(meteroid, patch);
  const parsed = v.safeParse(UpdateRequestMeteroid, body);
  expect(parsed.issues, JSON.stringify(body)).toBeUndefined();
  return { body, losses, back: toPatch(parsed.output as UpdateRequestMeteroid) };
}

const cases: Record<string, CustomerPatch> = {
  scalars: {
    alias: set('acme-2'),
    name: set('Acme Corporation'),
    email: set('billing@acme.example'),
    phone: set(''),
    currency: set('EUR'),
    invoicing_entity_id: set('ive_2'),
  },
  'cleared scalars': { name: clear, phone: clear, alias: clear, email: clear, currency: clear, invoicing_entity_id: clear },
  lists: { invoicing_emails: set(['x@acme.example', 'y@acme.example']), custom_taxes: set([{ name: 'VAT', rate: '20', tax_code: 'S' }]) },
  'cleared lists': { invoicing_emails: clear, custom_taxes: clear },
  'custom tax without a code': { custom_taxes: set([{ name: 'Eco', rate: '0.5', tax_code: null }]) },
  'tax exempt': { tax_exempt: set('exempt') },
  'tax none': { tax_exempt: set('none') },
  'tax reverse': { tax_exempt: set('reverse') },
  'tax cleared': { tax_exempt: clear },
  'address set': { address: set(paris) },
  'address set with members Meteroid lacks': { address: set(address({ city: 'Oslo', line3: 'c/o', email: 'x@y.example' })) },
  'address cleared': { address: clear },
  'address merge': { address: merge({ city: set('Lyon'), line2: clear }) },
  'address merge of every member': {
    address: merge({
      line1: set('1 Main'),
      line2: clear,
      line3: clear,
      city: set('Oslo'),
      state: clear,
      postal_code: set('0150'),
      country: set('NO'),
    }),
  },
  'address merge that only clears': { address: merge({ line2: clear, line3: clear }) },
  'address merge of contact only': { address: merge({ email: set('desk@x.example') }) },
  'shipping set': {
    shipping: set({ name: null, phone: null, same_as_billing: false, address: address({ line1: '2 Quai', city: 'Nice', country: 'FR' }) }),
  },
  'shipping set with a name': { shipping: set({ name: 'Dock', phone: '+1', same_as_billing: true, address: null }) },
  'shipping cleared': { shipping: clear },
  'shipping merge (Bigcapital)': {
    shipping: merge({ same_as_billing: set(false), address: merge({ city: set('Nice'), country: set('FR') }) }),
  },
  'shipping merge (Meteroid)': { shipping: merge({ same_as_billing: set(true), address: clear }) },
  'shipping merge without the flag': { shipping: merge({ address: set(address({ city: 'Nice' })) }) },
  'shipping merge without the address': { shipping: merge({ same_as_billing: set(false) }) },
  'shipping merge of the name only': { shipping: merge({ name: set('Dock 2') }) },
  'vat merge': { tax_ids: merge({ VAT: set({ type: 'VAT', value: 'DE123456789', country: 'DE' }) }) },
  'vat merge with another country': { tax_ids: merge({ VAT: set({ type: 'VAT', value: '123456789', country: 'NL' }) }) },
  'vat removed': { tax_ids: merge({ VAT: clear }) },
  'other tax id': { tax_ids: merge({ GST: set({ type: 'GST', value: '9', country: 'AU' }) }) },
  'tax ids set': {
    tax_ids: set([
      { type: 'GST', value: '9', country: 'AU' },
      { type: 'vat', value: 'EL094259216', country: 'GR' },
    ]),
  },
  'tax ids cleared': { tax_ids: clear },
  'fields Meteroid lacks': { metadata: merge({ plan: set('silver') }), website: set('https://x.example'), description: clear },
  'values Meteroid refuses': {
    alias: set(''),
    phone: set('9'.repeat(101)),
    custom_taxes: set([{ name: 'Eco', rate: '5%', tax_code: 'E' }]),
  },
};

describe('meteroid fromPatch: round trip', () => {
  for (const [title, patch] of Object.entries(cases)) {
    it(`${title}: the body is accepted and carries every field it reports no loss for`, () => {
      const { losses, back } = roundTrip(patch);
      const lost = (field: string) => losses.some((l) => l.field === field || l.field.startsWith(`${field}.`));
      for (const [name, start] of Object.entries(starts)) {
        const want = applyPatch(start, patch);
        const got = applyPatch(start, back);
        for (const field of Object.keys(fieldDefaults) as FieldName[]) {
          if (!(field in patch)) expect(got[field], `${name}: ${field} is not touched`).toEqual(start[field]);
          else if (!lost(field)) expect(carried(got, field), `${name}: ${field}`).toEqual(carried(want, field));
        }
      }
    });
  }

  it('reads back a Meteroid body as itself, losing nothing but the shipping merge', () => {
    const body = {
      alias: 'acme',
      name: 'Acme',
      billing_email: 'a@acme.example',
      invoicing_emails: ['b@acme.example'],
      phone: '+33 1',
      currency: 'EUR',
      billing_address: { line1: '10 Rue de Rivoli', city: 'Paris', zip_code: '75004', country: 'FR' },
      shipping_address: { same_as_billing: true },
      invoicing_entity_id: 'ive_1',
      custom_taxes: [{ name: 'Eco', rate: '0.5', tax_code: 'ECO' }],
      is_tax_exempt: true,
      vat_number: 'FR40303265045',
    };
    const { body: out, losses } = patchToDialect(meteroid, toPatch(v.parse(UpdateRequestMeteroid, body)));
    expect(out).toEqual(body);
    // Meteroid's own address write is a merge naming every member it has (the contact email and
    // phone stay), so it is a whole billing_address again; the same-as-billing shipping merge is not.
    expect(losses.map((l) => `${l.field}:${l.kind}`).sort()).toEqual(['shipping:inexpressible']);
  });
});

describe('meteroid fromPatch: what is lost', () => {
  const report = (patch: CustomerPatch) => patchToDialect(meteroid, patch);
  const kinds = (patch: CustomerPatch) => report(patch).losses.map((l) => `${l.field}:${l.kind}`);

  it('leaves a cleared scalar out and reports it once: Meteroid reads null as unchanged', () => {
    const { body, losses } = report({ name: clear, phone: clear, alias: set('a') });
    expect(body).toEqual({ alias: 'a' });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual(['name:inexpressible', 'phone:inexpressible']);
  });

  it('clears lists and tax exemption with their empty values, losing nothing', () => {
    expect(report({ invoicing_emails: clear, custom_taxes: clear, tax_exempt: clear })).toEqual({
      body: { invoicing_emails: [], custom_taxes: [], is_tax_exempt: false },
      losses: [],
    });
  });

  it('sends reverse charge as tax exempt, and says so', () => {
    const { body, losses } = report({ tax_exempt: set('reverse') });
    expect(body).toEqual({ is_tax_exempt: true });
    expect(losses).toEqual([expect.objectContaining({ field: 'tax_exempt', kind: 'lossy' })]);
  });

  it('sends an address merge as the members it sets, Meteroid replacing the address whole', () => {
    const { body, losses } = report({ address: merge({ city: set('Lyon'), postal_code: set('69001'), line2: clear }) });
    expect(body).toEqual({ billing_address: { city: 'Lyon', zip_code: '69001' } });
    expect(kinds({ address: merge({ city: set('Lyon') }) })).toEqual(['address:inexpressible']);
    expect(losses[0]?.message).toMatch(/whole/);
  });

  it('does not empty an address to clear one member of it', () => {
    const { body, losses } = report({ address: merge({ line2: clear }) });
    expect(body).toEqual({});
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toContain('address.line2:inexpressible');
  });

  it('clears an address as {} and a shipping as not same-as-billing without an address', () => {
    expect(report({ address: clear, shipping: clear })).toEqual({
      body: { billing_address: {}, shipping_address: { same_as_billing: false } },
      // {} empties the members Meteroid shows; the ones it cannot show are kept, and so are the
      // shipping recipient's name and phone.
      losses: [
        ...['line3', 'email', 'phone', 'country_name'].map((m) => `address.${m}`),
        ...['name', 'phone'].map((m) => `shipping.${m}`),
      ].map((field) => ({ field, kind: 'inexpressible', message: expect.any(String) })),
    });
  });

  it('reports the address members and shipping contact Meteroid has no place for', () => {
    expect(kinds({ address: set(address({ city: 'Oslo', line3: 'c/o', email: 'x@y.example' })) })).toEqual([
      'address.line3:unsupported',
      'address.email:unsupported',
    ]);
    expect(kinds({ shipping: set({ name: 'Dock', phone: null, same_as_billing: true, address: null }) })).toEqual([
      'shipping.name:unsupported',
      'shipping.address:inexpressible',
    ]);
    expect(report({ shipping: merge({ name: set('Dock') }) }).body).toEqual({});
  });

  it('sends a shipping address given without its flag as a separate one, and asks for the flag', () => {
    const { body, losses } = report({ shipping: merge({ address: set(address({ city: 'Nice' })) }) });
    expect(body).toEqual({ shipping_address: { same_as_billing: false, address: { city: 'Nice' } } });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toContain('shipping_address.same_as_billing:required');
  });

  it('takes vat_number from the VAT tax id and reports the other tax ids', () => {
    expect(report({ tax_ids: merge({ vat: set({ type: 'VAT', value: 'DE123456789', country: 'DE' }) }) })).toEqual({
      body: { vat_number: 'DE123456789' },
      losses: [],
    });
    const { body, losses } = report({
      tax_ids: set([
        { type: 'GST', value: '9', country: 'AU' },
        { type: 'VAT', value: 'NL1', country: 'BE' },
      ]),
    });
    expect(body).toEqual({ vat_number: 'NL1' });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual(['tax_ids.GST:unsupported', 'tax_ids:inexpressible', 'tax_ids.VAT:lossy']);
    expect(kinds({ tax_ids: merge({ VAT: clear }) })).toEqual(['tax_ids.VAT:inexpressible']);
    expect(kinds({ tax_ids: clear })).toEqual(['tax_ids:inexpressible']);
  });

  it('leaves out what Meteroid has no field for', () => {
    const { body, losses } = report({ metadata: set({ a: 1 }), website: set('https://x.example'), name: set('A') });
    expect(body).toEqual({ name: 'A' });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual(['metadata:unsupported', 'website:unsupported']);
  });

  it('leaves out a value Meteroid would refuse rather than send a body it refuses', () => {
    const { body, losses } = report({
      alias: set(''),
      custom_taxes: set([{ name: 'Eco', rate: '5%', tax_code: 'E' }]),
      name: set('A'),
    });
    expect(body).toEqual({ name: 'A' });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual(['alias:inexpressible', 'custom_taxes:inexpressible']);
    expect(losses[0]?.message).toMatch(/alias must not be empty/);
  });

  it('is the pure function the dialect exposes', () => {
    expect(meteroid.translation.fromPatch).toBe(fromPatch);
    const patch: CustomerPatch = { address: merge({ city: set('Lyon') }) };
    const before = JSON.stringify(patch);
    fromPatch(patch);
    expect(JSON.stringify(patch)).toBe(before);
  });
});
