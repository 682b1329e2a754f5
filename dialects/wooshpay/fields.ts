import * as v from 'valibot';
import { clear, isCurrencyCode, set } from '../../schemas/index.ts';
import { type FieldTable, member } from '../shared/lens-members.ts';
import {
  addressMember,
  constant,
  createdStripe,
  delinquentStripe,
  idStripe,
  metadataMember,
  shownString,
  textEmptyIsClear,
} from '../stripe-like/fields.ts';
import { clearable, clearableString, EmailParam, text } from '../stripe-like/request.ts';
import { shippingMember } from '../stripe-like/shipping.ts';
import { shownText } from '../../src/contract/dialect.ts';

// Wooshpay's field table: every member of its customer (the Wooshpay API reference's Customer
// object and its update body), in the order it shows them, built from the Stripe shape
// (dialects/stripe-like/fields.ts) and read both ways by dialects/shared/lens.ts. Unknown
// parameters are refused, as Stripe does. The request's members come in this order too, which is
// the order a Stripe error names the first of several faults in.

const title = 'Wooshpay';
const integer = v.pipe(v.number(), v.integer());
const taxExempt = ['none', 'exempt', 'reverse'] as const;

export const fieldsWooshpay = {
  id: idStripe,
  object: constant(v.literal('customer'), () => 'customer' as const),
  address: addressMember(
    'members patch one by one; address="" clears; line3, contact email/phone and a country given as a name are kept but not shown (a country naming no known country shows as null)',
  ),
  balance: member<undefined, number>('balance', { shown: integer, render: (c) => Math.round(c.balance) }),
  created: createdStripe,
  currency: member<undefined, string>('currency', {
    shown: shownString,
    note: 'lower case; a customer created without one has the canonical default, usd',
    render: (c) => c.currency.toLowerCase(),
    parse: (shown) => {
      const code = typeof shown === 'string' ? shown.toUpperCase() : '';
      return { currency: isCurrencyCode(code) ? set(code) : clear };
    },
  }),
  default_source: constant(shownString, () => null),
  delinquent: delinquentStripe,
  description: textEmptyIsClear(title, 'description', text),
  discount: constant(v.null(), () => null),
  email: textEmptyIsClear(title, 'email', clearable(EmailParam)),
  invoice_prefix: member<undefined, string | null>('invoice_prefix', {
    shown: shownString,
    render: (c) => c.invoice_prefix,
    parse: (shown) => ({ invoice_prefix: shownText(shown) }),
  }),
  invoice_settings: constant(v.object({}), () => ({ custom_fields: null, default_payment_method: null, footer: null })),
  livemode: member<undefined, boolean>('livemode', {
    shown: v.boolean(),
    note: 'follows the key of the request',
    render: (_c, ctx) => ctx.principal.livemode,
  }),
  metadata: metadataMember(
    'metadata[k]="" deletes a key, metadata="" clears all; non-string values are shown as JSON text, and that text written back keeps the stored value; an empty string (Zenskar custom_data) is not shown, and kept',
  ),
  // The reference types name and phone as plain strings, with no limit; a phone may carry an extension.
  name: textEmptyIsClear(title, 'name', clearableString(v.string()), '"" or null clears'),
  next_invoice_sequence: member<undefined, number | null>('next_invoice_sequence', {
    shown: v.nullable(integer),
    render: (c) => c.next_invoice_sequence,
    parse: (shown) => ({ next_invoice_sequence: typeof shown === 'number' ? set(shown) : clear }),
  }),
  phone: textEmptyIsClear(title, 'phone', clearableString(v.string())),
  preferred_locales: member<undefined, string[]>('preferred_locales', {
    shown: v.array(v.string()),
    render: (c) => c.preferred_locales,
    parse: (shown) => (Array.isArray(shown) ? { preferred_locales: set(shown.filter((l): l is string => typeof l === 'string')) } : {}),
  }),
  shipping: shippingMember(
    'Wooshpay',
    'every member optional (the Wooshpay API reference); the hash replaces the name, phone and the address members it shows (a member left out is cleared) and keeps line3, contact email/phone; same_as_billing shows the billing address: writing it back unchanged keeps the flag, a change ends it',
  ),
  tax_exempt: member<undefined, string>('tax_exempt', {
    shown: v.picklist(taxExempt),
    render: (c) => c.tax_exempt,
    parse: (shown) => {
      const exempt = taxExempt.find((t) => t === shown);
      return exempt ? { tax_exempt: set(exempt) } : {};
    },
  }),
  test_clock: constant(v.null(), () => null),
  // Stripe's expandable properties (https://docs.stripe.com/api/expanding_objects), shown only when
  // `expand[]` names them.
  tax_ids: member<undefined, string[]>('tax_ids', {
    expandable: 'omitted',
    note: 'values only, with expand[]=tax_ids',
    render: (c) => c.tax_ids.flatMap((t) => (t.value === null ? [] : [t.value])),
  }),
  cash_balance: member<undefined, Record<string, unknown>>(null, {
    expandable: 'omitted',
    render: (c, ctx) => ({
      object: 'cash_balance',
      available: {},
      customer: c.public_id,
      livemode: ctx.principal.livemode,
      settings: { reconciliation_mode: 'auto', using_merchant_default: true },
    }),
  }),
  sources: member<undefined, never[]>(null, { expandable: 'omitted', render: () => [] }),
  tax: member<undefined, Record<string, unknown>>(null, {
    expandable: 'omitted',
    render: () => ({ automatic_tax: 'unrecognized_location', ip_address: null, location: null }),
  }),
} satisfies FieldTable;
