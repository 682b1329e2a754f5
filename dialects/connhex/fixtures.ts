import type { DialectFixtures } from '../../src/contract/fixtures.ts';
import type { CustomerConnhex } from './mapping.ts';
import { CustomerResponseConnhex } from './seed-response.ts';

const base64url = (text: string) => btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

/** Shaped like one of ours (HS256, our issuer and audience) but with a signature that cannot verify. */
const forgedToken = [
  base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })),
  base64url(
    JSON.stringify({
      iss: 'custgate',
      aud: 'custgate:connhex',
      sub: 'intruder',
      tenant: '00000000-0000-4000-8000-000000000000',
      permissions: ['*'],
      exp: 4102444800,
    }),
  ),
  'c2lnbmF0dXJlLXRoYXQtZG9lcy1ub3QtdmVyaWZ5LWF0LWFsbA',
].join('.');

export const fixturesConnhex = {
  auth: (credentials) => ({ authorization: `Bearer ${credentials.token}` }),
  badAuth: { authorization: `Bearer ${forgedToken}` },
  create: { name: 'Jenny Rosen', email: 'jenny.rosen@example.com', phone: '+15555550100' },
  update: {
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
  },
  setName: (name) => ({ name }),
  // The seed's own example value: not 3–12 upper-case letters or digits.
  invalid: { body: { invoice_prefix: 'string' }, field: 'invoice_prefix' },
  clearPhone: { phone: '' },
  name: (response) => (response as CustomerConnhex).name,
  idOf: (response) => (response as CustomerConnhex).id,
  response: CustomerResponseConnhex,
  ref: (ids) => ids.public_id,
  clientWrites: [
    { address: { line1: '510 Townsend St', city: 'San Francisco', country: 'US' }, description: 'Gold plan customer' },
    { email: '', phone: '', description: '' },
    { address: '' },
  ],
  paramNames: { 'shipping.address.country': 'shipping', 'address.line2': 'address.line2', phone: 'phone', 'metadata.plan': 'metadata' },
  // As Wooshpay; invoice_prefix "Must be 3–12 uppercase letters or numbers"; the sequence of an
  // invoice is a whole number; expand names fields of the response (Stripe refuses others); name
  // and phone within Stripe's limits (its API reference, "Update a customer": Connhex is Stripe
  // underneath).
  judge: {
    values: {
      country: { kind: 'country' },
      email: { kind: 'email' },
      invoice_prefix: { kind: 'pattern', pattern: '^[A-Z0-9]{3,12}$' },
      next_invoice_sequence: { kind: 'integer', min: 1, max: 1_000_000 },
      'expand[]': { kind: 'one-of', values: ['subscriptions'] },
      name: { kind: 'text', maxLength: 256 },
      phone: { kind: 'text', maxLength: 20 },
    },
  },
} satisfies DialectFixtures;
