import type { DialectFixtures } from '../../src/contract/fixtures.ts';
import type { CustomerBigcapital } from './mapping.ts';
import { CustomerResponseBigcapital } from './seed-response.ts';

export const fixturesBigcapital = {
  auth: (credentials) => ({ authorization: `Bearer ${credentials.api_key}` }),
  badAuth: { authorization: `Bearer bc_${'0'.repeat(96)}` },
  create: {
    customerType: 'business',
    displayName: 'Acme Corporation',
    companyName: 'Acme Corporation',
    email: 'billing@acme.example',
  },
  update: {
    customerType: 'business',
    displayName: 'John Doe - Acme Corporation',
    salutation: 'Mr.',
    firstName: 'John',
    lastName: 'Doe',
    companyName: 'Acme Corporation',
    email: 'john.doe@acme.example',
    workPhone: '+1 (555) 123-4567',
    website: 'https://www.acme.example',
    billingAddress1: '123 Business Ave',
    billingAddressCity: 'New York',
    billingAddressState: 'NY',
    billingAddressZipcode: '10001',
    billingAddressCountry: 'United States',
    note: 'Important client with regular monthly orders',
  },
  // PUT requires customerType and displayName in every body.
  setName: (name) => ({ customerType: 'business', displayName: name }),
  invalid: { body: { customerType: 'business', displayName: 'Acme', email: 'not-an-email' }, field: 'email' },
  clearPhone: { customerType: 'business', displayName: 'John Doe - Acme Corporation', workPhone: null },
  name: (response) => (response as CustomerBigcapital).displayName,
  idOf: (response) => String((response as CustomerBigcapital).id),
  response: CustomerResponseBigcapital,
  ref: (ids) => String(ids.number),
  filledByProvider: ['customer_type', 'currency'],
  clientWrites: [
    {
      customerType: 'business',
      displayName: 'Acme Corporation',
      workPhone: '+1 (555) 123-4567',
      billingAddress1: '123 Business Ave',
      billingAddressCity: 'New York',
      billingAddressCountry: 'United States',
      shippingAddress1: '456 Shipping St',
      shippingAddressCountry: 'Germany',
    },
    { customerType: 'business', displayName: 'Acme Corporation', workPhone: null, email: null, billingAddress1: null },
    { customerType: 'individual', displayName: 'John Doe', shippingAddress1: null, shippingAddressCountry: null, note: 'regular' },
  ],
  paramNames: {
    'shipping.address.country': 'shippingAddressCountry',
    'address.line2': 'billingAddress2',
    phone: 'workPhone',
    'metadata.plan': 'metadata',
  },
  // Bigcapital reads *Postcode and writes *Zipcode.
  echoRenames: { billingAddressPostcode: 'billingAddressZipcode', shippingAddressPostcode: 'shippingAddressZipcode' },
  // Bigcapital's DTO: @IsEmail() on the email members, @IsNotEmpty() on customerType.
  judge: {
    values: {
      email: { kind: 'email' },
      billingAddressEmail: { kind: 'email' },
      shippingAddressEmail: { kind: 'email' },
      customerType: { kind: 'one-of', values: ['business', 'individual', 'government'] },
    },
  },
} satisfies DialectFixtures;
