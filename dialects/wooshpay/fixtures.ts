import type { DialectFixtures } from '../../src/contract/fixtures.ts';
import type { CustomerWooshpay } from './mapping.ts';
import { CustomerResponseWooshpay } from './seed-response.ts';

export const fixturesWooshpay = {
  auth: (credentials) => ({ authorization: `Basic ${btoa(`${credentials.secret_key}:`)}` }),
  badAuth: { authorization: `Basic ${btoa('sk_test_doesnotexist0000000000:')}` },
  create: { name: 'Jenny Rosen', email: 'jenny.rosen@example.com', phone: '+15555550100' },
  update: {
    name: 'Jenny Rosen',
    email: 'jenny@example.com',
    phone: '+15555550123',
    description: 'Gold plan customer',
    address: { line1: '510 Townsend St', city: 'San Francisco', state: 'CA', postal_code: '94103', country: 'US' },
    metadata: { plan: 'gold', seats: '12' },
  },
  setName: (name) => ({ name }),
  invalid: { body: { email: 'not-an-email' }, field: 'email' },
  clearPhone: { phone: '' },
  name: (response) => (response as CustomerWooshpay).name,
  idOf: (response) => (response as CustomerWooshpay).id,
  response: CustomerResponseWooshpay,
  ref: (ids) => ids.public_id,
  clientWrites: [
    { metadata: { plan: 'gold', seats: '12' }, address: { line1: '510 Townsend St', city: 'San Francisco', country: 'US' } },
    { metadata: { plan: '', tier: 'b' }, email: '', phone: '' },
    { shipping: { name: 'Dock 4', phone: '+15555550111', address: { line1: '1 Harbor Rd', postal_code: '94107', country: 'US' } } },
    { address: '', shipping: '', description: 'clears' },
    { metadata: '' },
  ],
  paramNames: {
    'shipping.address.country': 'shipping.address.country',
    'address.line2': 'address.line2',
    phone: 'phone',
    'metadata.plan': 'metadata',
  },
  // "Two-letter country code (ISO 3166-1 alpha-2)"; "The customer's email address".
  judge: { values: { country: { kind: 'country' }, email: { kind: 'email' } } },
} satisfies DialectFixtures;
