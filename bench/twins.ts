import type { DialectName } from '../dialects/index.ts';

/**
 * For each dialect, a second update body that differs from its fixtures' `update` in every field it
 * sends. The bench alternates the two per customer, so every update changes every field, whether
 * it is a customer's first since the preload (a large store, where a few seconds touch each customer
 * at most once) or its tenth (1,000 customers, each written within the first second). Without it
 * the 1,000,000 ÷ 1,000 line compared first updates (a change record of up to 911 bytes) with
 * renames (79 bytes): docs/performance.md, "At 1,000,000 a bench update is a customer's first".
 */
export const twinUpdates = {
  wooshpay: {
    email: 'jenny.rosen@example.org',
    phone: '+15555550199',
    description: 'Silver plan customer',
    address: { line1: '1 Market St', city: 'Toronto', state: 'ON', postal_code: 'M5J 2N8', country: 'CA' },
    metadata: { plan: 'silver', seats: '7' },
  },
  connhex: {
    email: 'jenny.rosen@example.org',
    phone: '+15555550199',
    description: 'Silver plan customer',
    address: { line1: '1 Market St', city: 'Toronto', state: 'ON', postal_code: 'M5J 2N8', country: 'CA' },
    invoice_prefix: 'ROSEN7',
    next_invoice_sequence: 9,
    preferred_locales: ['de'],
    tax_exempt: 'reverse',
  },
  meteroid: {
    billing_email: 'billing@acme.example',
    invoicing_emails: ['ap@acme.example'],
    phone: '+33 1 98 76 54 32',
    currency: 'USD',
    billing_address: { line1: '5 Avenue Anatole France', city: 'Lyon', zip_code: '69003', country: 'BE' },
    shipping_address: {
      same_as_billing: false,
      address: { line1: '8 Quai Claude Bernard', city: 'Lyon', zip_code: '69007', country: 'FR' },
    },
    vat_number: 'FR83404833048',
  },
  bigcapital: {
    salutation: 'Ms.',
    firstName: 'Jane',
    lastName: 'Roe',
    companyName: 'Roe Industries',
    email: 'jane.roe@roe.example',
    workPhone: '+1 (555) 765-4321',
    website: 'https://www.roe.example',
    billingAddress1: '77 Commerce St',
    billingAddressCity: 'Boston',
    billingAddressState: 'MA',
    billingAddressZipcode: '02110',
    billingAddressCountry: 'Canada',
    note: 'Quarterly orders',
  },
  zenskar: {
    email: 'jenny.rosen@example.org',
    phone_number: '+15555550199',
    address: { line1: '1 Market St', city: 'Toronto', state: 'ON', zipCode: 'M5J 2N8', country: 'Canada', country_code: 'CA' },
    custom_data: { plan: 'silver', seats: 7 },
    tax_info: [{ country_code: 'CA', tax_code: 'GST', tax_id: '123456789RT0001' }],
  },
} satisfies Record<DialectName, Record<string, unknown>>;
