import { type Coverage, readOnly } from '../../src/contract/dialect.ts';

const setOnly = (as: string, note: string) => ({ as, read: true, write: { set: true, clear: false }, note }) as const;
const replaced = (as: string, note: string) => ({ as, read: true, write: { set: true, clear: true, mode: 'replace' }, note }) as const;

// Meteroid cannot clear a scalar: absent and null leave it, "" is stored as "".
export const coverageMeteroid = {
  uuid: { as: 'id_or_alias (path)', read: false, write: null, note: 'a raw UUID in the path resolves the customer; never shown' },
  public_id: readOnly('id', 'also accepted in the path, tried first'),
  number: null,
  alias: setOnly(
    'alias',
    'unique within the tenant (409 CONFLICT); resolves in the path after cus_ ids and UUIDs; 1-255 characters, not cus_… or UUID-like',
  ),
  external_id: null,
  name: setOnly('name', 'required on create; shown as "" when none is stored, and "" written back is none'),
  first_name: null,
  last_name: null,
  salutation: null,
  company_name: null,
  customer_type: null,
  email: setOnly('billing_email', 'must be an email address (the canonical limit, so every dialect can show and take it)'),
  invoicing_emails: replaced('invoicing_emails', 'replaced whole; [] empties'),
  phone: setOnly('phone', 'cannot be cleared; no length limit (the Meteroid API reference types it as a string)'),
  mobile_phone: null,
  website: null,
  description: null,
  address: replaced(
    'billing_address',
    'zip_code is postal_code; the members Meteroid shows are replaced whole ({} empties them); line3, the contact email/phone and a country given as a name naming no country, which it cannot show, are kept',
  ),
  shipping: replaced(
    'shipping_address',
    'same_as_billing and address replaced whole; same_as_billing reads back the billing address, and with it true the address sent is ignored (the shipping address is kept); a shipping name/phone stored elsewhere is kept',
  ),
  currency: setOnly(
    'currency',
    "one of the seed's ISO 4217 codes, upper case; required on create; a customer created elsewhere without one has the canonical default, USD",
  ),
  preferred_locales: null,
  invoice_prefix: null,
  next_invoice_sequence: null,
  // false stores none, the value a cleared tax_exempt returns to.
  tax_exempt: {
    as: 'is_tax_exempt',
    read: true,
    write: { set: true, clear: true },
    note: 'true is exempt of either kind (none becomes exempt, a reverse charge stays one), false none (which also clears it); reverse is shown as true',
  },
  tax_ids: setOnly(
    'vat_number',
    "the VAT entry only, replaced; other tax ids kept; its country is taken from the number's prefix (EL -> GR) when it is one",
  ),
  custom_taxes: replaced('custom_taxes', 'replaced whole; [] empties; rate is a decimal string'),
  metadata: null,
  invoicing_entity_id: setOnly('invoicing_entity_id', 'not checked against invoicing entities; shown as "" when none is stored'),
  business_entity_id: null,
  connector: null,
  communications_enabled: null,
  auto_charge_enabled: null,
  active: null,
  livemode: null,
  delinquent: null,
  balance: null,
  created_at: null,
  updated_at: null,
} satisfies Coverage;
