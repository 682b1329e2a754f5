import type { DialectFixtures } from '../../src/contract/fixtures.ts';
import type { CustomerMeteroid } from './mapping.ts';
import { CustomerResponseMeteroid } from './seed-response.ts';

export const fixturesMeteroid = {
  auth: (credentials) => ({ authorization: `Bearer ${credentials.api_key}` }),
  badAuth: { authorization: 'Bearer pv_test_doesnotexist000000000000000000' },
  create: { name: 'Acme Corp', currency: 'EUR', billing_email: 'billing@acme.example' },
  update: {
    name: 'Acme Corporation',
    billing_email: 'accounts@acme.example',
    invoicing_emails: ['invoices@acme.example'],
    phone: '+33 1 23 45 67 89',
    currency: 'EUR',
    billing_address: { line1: '10 Rue de Rivoli', city: 'Paris', zip_code: '75004', country: 'FR' },
    shipping_address: { same_as_billing: true },
    vat_number: 'FR40303265045',
  },
  setName: (name) => ({ name }),
  invalid: { body: { currency: 'XYZ' }, field: 'currency' },
  // Meteroid cannot clear a field: null and absent leave it, "" is stored.
  clearPhone: undefined,
  name: (response) => (response as CustomerMeteroid).name,
  idOf: (response) => (response as CustomerMeteroid).id,
  response: CustomerResponseMeteroid,
  ref: (ids) => ids.public_id,
  filledByProvider: ['currency'],
  clientWrites: [
    { billing_address: { line1: '10 Rue de Rivoli', city: 'Paris', zip_code: '75004', country: 'FR' }, phone: '+33 1 23 45 67 89' },
    { shipping_address: { same_as_billing: true } },
    { shipping_address: { same_as_billing: false, address: { line1: '2 Quai de la Gare', city: 'Paris', country: 'FR' } } },
    { name: 'Acme SAS', billing_email: 'accounts@acme.example' },
  ],
  paramNames: {
    'shipping.address.country': 'shipping_address.address.country',
    'address.line2': 'billing_address.line2',
    phone: 'phone',
    'metadata.plan': 'metadata',
  },
} satisfies DialectFixtures;
