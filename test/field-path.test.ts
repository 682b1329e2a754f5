import { describe, expect, it } from 'vitest';
import { type DialectName, dialects } from '../dialects/index.ts';
import { dialectPath } from '../src/contract/field-path.ts';

// A check of the core names a canonical field (`shipping.address.country`); the client's error
// envelope must name the parameter it sends instead, in every dialect: the coverage table's name
// for the field, the request schema's members below it.

const expected: Record<DialectName, Record<string, string>> = {
  wooshpay: {
    'shipping.address.country': 'shipping.address.country',
    'address.line2': 'address.line2',
    phone: 'phone',
    'metadata.plan': 'metadata',
  },
  connhex: { 'shipping.address.country': 'shipping', 'address.line2': 'address.line2', phone: 'phone', 'metadata.plan': 'metadata' },
  meteroid: {
    'shipping.address.country': 'shipping_address.address.country',
    'address.line2': 'billing_address.line2',
    phone: 'phone',
    'metadata.plan': 'metadata',
  },
  bigcapital: {
    'shipping.address.country': 'shippingAddressCountry',
    'address.line2': 'billingAddress2',
    phone: 'workPhone',
    'metadata.plan': 'metadata',
  },
  zenskar: {
    'shipping.address.country': 'ship_to_address.country',
    'address.line2': 'address.line2',
    phone: 'phone_number',
    'metadata.plan': 'custom_data',
  },
};

describe('a canonical path in each dialect', () => {
  it.each(Object.keys(expected) as DialectName[])('%s names its own parameters', (name) => {
    for (const [canonical, wire] of Object.entries(expected[name])) {
      expect(dialectPath(dialects[name], canonical.split('.')).join('.'), canonical).toBe(wire);
    }
  });
});
