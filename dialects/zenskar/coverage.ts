import type { Coverage } from '../../src/dialect.ts';

const rw = (as: string, note?: string) =>
  ({ as, read: true, write: { set: true, clear: true }, ...(note ? { note } : {}) }) as const;
const readOnly = (as: string, note?: string) => ({ as, read: true, write: null, ...(note ? { note } : {}) }) as const;

export const coverageZenskar = {
  uuid: readOnly('id', 'the path id; an external_id resolves too'),
  public_id: null,
  number: null,
  alias: null,
  external_id: rw('external_id', 'at most 255 characters, unique within the tenant (409); null or "" clears'),
  name: rw('customer_name', 'null or "" clears; a customer without a name is shown as ""'),
  first_name: null,
  last_name: null,
  salutation: null,
  company_name: null,
  customer_type: null,
  email: rw('email', 'must be an email address; null clears'),
  invoicing_emails: null,
  phone: rw('phone_number', 'null or "" clears'),
  mobile_phone: null,
  website: null,
  description: null,
  address: {
    as: 'address',
    read: true,
    write: { set: true, clear: true, mode: 'merge' },
    note:
      'members patch one by one (absent unchanged, null clears); zipCode is postal_code; country shows the English name and country_code the ISO-2 code, either may be sent and both must agree; validation_status and connector_validation are accepted, not stored, shown as null; the address contact email/phone is kept but not shown',
  },
  shipping: {
    as: 'ship_to_address',
    read: true,
    write: { set: true, clear: true, mode: 'merge' },
    note:
      'the shipping address only, member by member; the shipping name and phone are kept but not shown; "same as billing" shows the billing address, and an update through ship_to_address ends it',
  },
  currency: null,
  preferred_locales: null,
  invoice_prefix: null,
  next_invoice_sequence: null,
  tax_exempt: null,
  tax_ids: {
    as: 'tax_info',
    read: true,
    write: { set: true, clear: true, mode: 'replace' },
    note: '[{country_code, tax_code, tax_id}] is the canonical [{country, type, value}]; the list is replaced whole',
  },
  custom_taxes: null,
  metadata: {
    as: 'custom_data',
    read: true,
    write: { set: true, clear: true, mode: 'replace' },
    note: 'replaced whole; values may be any JSON; cleared custom_data is shown as {}',
  },
  invoicing_entity_id: null,
  business_entity_id: rw('business_entity_id', 'a UUID, stored lower case'),
  connector: {
    as: 'connector',
    read: false,
    write: { set: true, clear: true, mode: 'replace' },
    note: '{name, reference_id} replaced whole; the seed response has no connector, so it is stored and not shown',
  },
  communications_enabled: rw('communications_enabled', 'null puts it back to its default, true'),
  auto_charge_enabled: rw('auto_charge_enabled', 'null puts it back to its default, true'),
  active: null,
  livemode: null,
  delinquent: null,
  balance: null,
  created_at: null,
  updated_at: null,
} satisfies Coverage;
