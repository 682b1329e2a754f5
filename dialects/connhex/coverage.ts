import { type Coverage, readOnly, readWrite } from '../../src/contract/dialect.ts';

// The seed's response shows only id, created, delinquent, address, email, name, phone and
// subscriptions: the other fields an update sets are not read back through Connhex (read them
// through another dialect or GET /gateway/v1/customers/{id}).
const writeOnly = (as: string, note: string, clearable = true) =>
  ({ as, read: false, write: { set: true, clear: clearable }, note: `not in the seed's response; ${note}` }) as const;

// `expand[]` takes one path, `subscriptions`: Stripe's list object, always empty because there is
// no subscription store; unexpanded, `subscriptions` is null. Any other path is a 400.
export const coverageConnhex = {
  uuid: null,
  public_id: readOnly('id'),
  number: null,
  alias: null,
  external_id: null,
  name: readWrite('name', '"" or null clears; at most 256 characters (Stripe\'s limit: Connhex is Stripe underneath)'),
  first_name: null,
  last_name: null,
  salutation: null,
  company_name: null,
  customer_type: null,
  email: readWrite('email', '"" clears'),
  invoicing_emails: null,
  phone: readWrite('phone', '"" or null clears; at most 20 characters (Stripe\'s limit: Connhex is Stripe underneath)'),
  mobile_phone: null,
  website: null,
  description: writeOnly('description', '"" clears'),
  address: {
    as: 'address',
    read: true,
    write: { set: true, clear: true, mode: 'merge' },
    note: 'members patch one by one; address="" clears; line3 and contact are not shown',
  },
  shipping: null,
  currency: null,
  preferred_locales: writeOnly('preferred_locales', 'replaced whole; "" clears'),
  invoice_prefix: writeOnly('invoice_prefix', '^[A-Z0-9]{3,12}$, else 400; "" clears'),
  next_invoice_sequence: writeOnly('next_invoice_sequence', 'integer >= 1 (digits in a form body); cannot be unset', false),
  tax_exempt: writeOnly('tax_exempt', 'exempt | none | reverse; "" resets to none'),
  tax_ids: null,
  custom_taxes: null,
  metadata: null,
  invoicing_entity_id: null,
  business_entity_id: null,
  connector: null,
  communications_enabled: null,
  auto_charge_enabled: null,
  active: null,
  livemode: null,
  delinquent: readOnly('delinquent'),
  balance: null,
  created_at: readOnly('created', 'unix seconds'),
  updated_at: null,
} satisfies Coverage;
