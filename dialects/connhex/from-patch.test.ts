import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type Address, type CustomerFields, type CustomerPatch, clear, fieldDefaults, merge, set } from '../../schemas/index.ts';
import { applyPatch } from '../../src/core/apply-patch.ts';
import { toPatch } from './mapping.ts';
import { UpdateRequestConnhex } from './request.ts';
import { fromPatch } from './from-patch.ts';

const base: CustomerFields = {
  ...fieldDefaults,
  name: 'Old Name',
  email: 'old@example.com',
  phone: '+15555550000',
  description: 'Old',
  invoice_prefix: 'OLD1',
  next_invoice_sequence: 3,
  tax_exempt: 'exempt',
  preferred_locales: ['de'],
  address: {
    line1: 'Old line 1',
    line2: 'Old line 2',
    line3: null,
    city: 'Boston',
    state: 'MA',
    postal_code: '02101',
    country: 'US',
    email: null,
    phone: null,
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
  email: null,
  phone: null,
};

/** The fields Connhex writes; of an address, the members a Stripe address has. */
function carried(fields: CustomerFields) {
  const { name, email, phone, description, invoice_prefix, next_invoice_sequence, tax_exempt, preferred_locales, address } = fields;
  const shown = address && {
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    postal_code: address.postal_code,
    country: address.country,
  };
  return { name, email, phone, description, invoice_prefix, next_invoice_sequence, tax_exempt, preferred_locales, address: shown };
}

function roundTrip(patch: CustomerPatch) {
  const parsed = v.parse(UpdateRequestConnhex, fromPatch(patch).body);
  return { expected: carried(applyPatch(base, patch)), actual: carried(applyPatch(base, toPatch(parsed))) };
}

const fields = (patch: CustomerPatch) => fromPatch(patch).losses.map((l) => `${l.field}:${l.kind}`);

describe('connhex fromPatch: happy', () => {
  it('maps every field Connhex writes to its parameter', () => {
    const { body, losses } = fromPatch({
      name: set('Jenny Rosen'),
      email: set('jenny@example.com'),
      phone: set('+15555550123'),
      description: set('Gold'),
      invoice_prefix: set('JENNY42'),
      next_invoice_sequence: set(7),
      tax_exempt: set('reverse'),
      preferred_locales: set(['en', 'fr-CA']),
      address: merge({ city: set('Paris'), country: set('FR') }),
    });
    expect(body).toEqual({
      name: 'Jenny Rosen',
      email: 'jenny@example.com',
      phone: '+15555550123',
      description: 'Gold',
      invoice_prefix: 'JENNY42',
      next_invoice_sequence: 7,
      tax_exempt: 'reverse',
      preferred_locales: ['en', 'fr-CA'],
      address: { city: 'Paris', country: 'FR' },
    });
    expect(losses).toEqual([]);
  });

  it('clears with "" as Stripe does; next_invoice_sequence cannot be cleared and is left out', () => {
    const { body } = fromPatch({
      name: clear,
      email: clear,
      phone: clear,
      description: clear,
      invoice_prefix: clear,
      tax_exempt: clear,
      preferred_locales: clear,
      address: clear,
      next_invoice_sequence: clear,
    });
    expect(body).toEqual({
      name: '',
      email: '',
      phone: '',
      description: '',
      invoice_prefix: '',
      tax_exempt: '',
      preferred_locales: '',
      address: '',
    });
  });

  it('replaces a whole address by sending every member, "" where it has none', () => {
    expect(fromPatch({ address: set(paris) }).body).toEqual({
      address: { line1: '10 Rue de Rivoli', line2: '', city: 'Paris', state: '', postal_code: '75004', country: 'FR' },
    });
  });
});

describe('connhex fromPatch: round trip', () => {
  const patches: Record<string, CustomerPatch> = {
    'every field set': {
      name: set('Jenny Rosen'),
      email: set('jenny@example.com'),
      phone: set('+15555550123'),
      description: set('Gold'),
      invoice_prefix: set('JENNY42'),
      next_invoice_sequence: set(7),
      tax_exempt: set('reverse'),
      preferred_locales: set(['en', 'fr-CA']),
    },
    'every clearable field cleared': {
      name: clear,
      email: clear,
      phone: clear,
      description: clear,
      invoice_prefix: clear,
      tax_exempt: clear,
      preferred_locales: clear,
      address: clear,
    },
    'no locales': { preferred_locales: set([]) },
    'address merged': { address: merge({ line1: set('1 Main St'), line2: clear, country: set('CA') }) },
    'address replaced': { address: set(paris) },
  };

  for (const [name, patch] of Object.entries(patches)) {
    it(`${name}: the body gives back the same change`, () => {
      const { expected, actual } = roundTrip(patch);
      expect(actual).toEqual(expected);
    });
  }

  it('the example update survives request -> patch -> body -> patch unchanged', () => {
    const { expand: _, ...example } = {
      name: 'Jenny Rosen',
      email: 'jenny@example.com',
      phone: '+15555550123',
      description: 'Gold plan customer',
      address: { line1: '510 Townsend St', city: 'San Francisco', state: 'CA', postal_code: '94103', country: 'US' },
      invoice_prefix: 'JENNY42',
      next_invoice_sequence: 7,
      preferred_locales: ['en', 'fr-CA'],
      tax_exempt: 'exempt',
      expand: ['subscriptions'],
    };
    const patch = toPatch(v.parse(UpdateRequestConnhex, example));
    const { body, losses } = fromPatch(patch);
    expect(body).toEqual(example);
    expect(losses).toEqual([]);
  });
});

describe('connhex fromPatch: losses', () => {
  it('reports the address members a Stripe address lacks', () => {
    expect(fields({ address: merge({ line3: set('Floor 3'), email: set('a@example.com'), phone: set('+1') }) })).toEqual([
      'address.line3:unsupported',
      'address.email:unsupported',
      'address.phone:unsupported',
    ]);
  });

  it('does not claim to carry a value set to "": Connhex reads it as a clear', () => {
    const { body, losses } = fromPatch({ description: set('') });
    expect(body).toEqual({ description: '' });
    expect(losses).toEqual([{ field: 'description', kind: 'lossy', message: expect.any(String) }]);
  });

  it('leaves out a value Connhex would refuse, so the body is still accepted', () => {
    const { body, losses } = fromPatch({
      name: set('Jenny'),
      phone: set('+1 (555) 123-4567 ext. 89'),
      preferred_locales: set(['en', 'en_US']),
      address: merge({ city: set('Paris'), line1: set('x'.repeat(5001)) }),
    });
    // Stripe's 20-character phone is Connhex's; a locale is any string (Stripe's API reference).
    expect(body).toEqual({ name: 'Jenny', address: { city: 'Paris' }, preferred_locales: ['en', 'en_US'] });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual(['phone:inexpressible', 'address.line1:inexpressible']);
    expect(v.safeParse(UpdateRequestConnhex, body).success).toBe(true);
  });
});
