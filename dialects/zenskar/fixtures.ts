import type { DialectFixtures } from '../../src/contract/fixtures.ts';
import type { CustomerZenskar } from './mapping.ts';
import { CustomerResponseZenskar } from './seed-response.ts';

export const fixturesZenskar = {
  auth: (credentials) => ({ 'x-api-key': credentials.api_key ?? '', organisation: credentials.organisation ?? '' }),
  badAuth: { 'x-api-key': 'zsk_doesnotexist000000000000000000', organisation: '00000000-0000-4000-8000-000000000000' },
  create: { customer_name: 'Jenny Rosen', email: 'jenny.rosen@example.com', phone_number: '+15555550100' },
  update: {
    customer_name: 'Jenny Rosen',
    email: 'jenny@example.com',
    phone_number: '+15555550123',
    address: {
      line1: '510 Townsend St',
      city: 'San Francisco',
      state: 'CA',
      zipCode: '94103',
      country: 'United States',
      country_code: 'US',
    },
    custom_data: { plan: 'gold', seats: 12 },
    tax_info: [{ country_code: 'US', tax_code: 'EIN', tax_id: '12-3456789' }],
  },
  setName: (name) => ({ customer_name: name }),
  invalid: { body: { email: 'not-an-email' }, field: 'email' },
  clearPhone: { phone_number: null },
  name: (response) => (response as CustomerZenskar).customer_name,
  idOf: (response) => (response as CustomerZenskar).id,
  response: CustomerResponseZenskar,
  ref: (ids) => ids.uuid,
  clientWrites: [
    { custom_data: { plan: 'gold', seats: 12 }, address: { line1: '510 Townsend St', city: 'San Francisco', country_code: 'US' } },
    { custom_data: { tier: 'b' }, ship_to_address: { line1: '1 Harbor Rd', country_code: 'US' } },
    { email: null, phone_number: null, address: null },
    { custom_data: null, ship_to_address: null },
  ],
  paramNames: {
    'shipping.address.country': 'ship_to_address.country_code',
    'address.line2': 'address.line2',
    phone: 'phone_number',
    'metadata.plan': 'custom_data',
  },
  // external_id names one customer; country_code is a "Two-letter ISO country code".
  judge: { values: { external_id: { kind: 'unique', prefix: 'ext-' }, country_code: { kind: 'country' } } },
} satisfies DialectFixtures;
