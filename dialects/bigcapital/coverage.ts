import { type Coverage, readOnly, readWrite } from '../../src/contract/dialect.ts';

const required = (as: string, note: string) => ({ as, read: true, write: { set: true, clear: false }, note }) as const;

const cleared = 'null or "" clears; not shown when empty';

export const coverageBigcapital = {
  uuid: null,
  public_id: null,
  number: readOnly('id', 'the path id; a non-numeric id is a 404'),
  alias: null,
  external_id: null,
  name: required(
    'displayName',
    'required on every PUT; shown as "" when no name is stored, and "" written back is no name; no length limit (Bigcapital checks only that it is a string)',
  ),
  first_name: readWrite('firstName', cleared),
  last_name: readWrite('lastName', cleared),
  salutation: readWrite('salutation', cleared),
  company_name: readWrite('companyName', cleared),
  customer_type: required(
    'customerType',
    "required on every PUT: any non-empty text (Bigcapital's forms offer business | individual), shown back as given; every customer has one: the canonical default is business, shown for customers made through any dialect (docs/seams.md)",
  ),
  email: readWrite('email', 'null clears; "" is a 400'),
  invoicing_emails: null,
  phone: readWrite('workPhone', cleared),
  mobile_phone: readWrite('personalPhone', cleared),
  website: readWrite('website', cleared),
  description: readWrite(
    'note',
    'null or "" clears; shown as "" when none is stored (the Bigcapital API reference marks note required in a response), and "" written back is none',
  ),
  address: {
    as: 'billingAddress1/2/City/State/Country/Zipcode/Email/Phone',
    read: true,
    write: { set: true, clear: true, mode: 'merge' },
    note: 'members patch one by one (null clears one); Zipcode in requests is Postcode in responses (a PUT takes either); Country takes any text: a recognised name or alias (UK, Viet Nam, Holland) maps to ISO-2, other text is kept; it shows the name as given, else the English name of the code; line3 is kept but not shown',
  },
  shipping: {
    as: 'shippingAddress1/2/City/State/Country/Zipcode/Email/Phone',
    read: true,
    write: { set: true, clear: true, mode: 'merge' },
    note: 'the shipping address, member by member; a same-as-billing shipping shows the billing address: writing it back unchanged keeps same-as-billing, a change starts from the billing address and ends it; the shipping name and recipient phone (Wooshpay shipping.name/phone) are kept but not shown',
  },
  currency: readOnly(
    'currencyCode',
    'set on create only (ignored in a PUT); a customer created without one has the canonical default, USD',
  ),
  preferred_locales: null,
  invoice_prefix: null,
  next_invoice_sequence: null,
  tax_exempt: null,
  tax_ids: null,
  custom_taxes: null,
  metadata: null,
  invoicing_entity_id: null,
  business_entity_id: null,
  connector: null,
  communications_enabled: null,
  auto_charge_enabled: null,
  active: readWrite('active', 'null resets it to true'),
  livemode: null,
  delinquent: null,
  balance: readOnly(
    'balance',
    'also closingBalance; openingBalance, openingBalanceAt (createdAt when none), openingBalanceExchangeRate, localOpeningBalance and openingBalanceBranchId are shown read-only',
  ),
  created_at: readOnly('createdAt'),
  updated_at: readOnly('updatedAt'),
} satisfies Coverage;
