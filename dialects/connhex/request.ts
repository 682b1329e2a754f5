import * as v from 'valibot';
import { limits } from '../../schemas/index.ts';
import {
  AddressParam,
  clearable,
  clearableString,
  EmailParam,
  expandParam,
  NameParamStripe,
  PhoneParamStripe,
  text,
} from '../stripe-like/index.ts';

/** What `expand[]` may name on a Connhex customer. */
export const expandableConnhex = ['subscriptions'] as const;

export const taxExemptValuesConnhex = ['exempt', 'none', 'reverse'] as const;

export const InvoicePrefixParamConnhex = v.pipe(
  v.string(),
  v.regex(/^[A-Z0-9]{3,12}$/, (issue) => `Invalid invoice_prefix: '${String(issue.input)}'. It must be 3–12 uppercase letters or numbers.`),
);

const sequenceMessage = 'Invalid next_invoice_sequence: it must be an integer of at least 1.';

/**
 * An integer >= 1. Form bodies carry every value as a string, so digits in a string are taken too;
 * "" cannot unset it (Stripe's parameter_invalid_empty).
 */
export const NextInvoiceSequenceParamConnhex = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.nonEmpty('next_invoice_sequence cannot be unset.'), v.regex(/^\d{1,15}$/, sequenceMessage))]),
  v.transform(Number),
  v.integer(sequenceMessage),
  v.minValue(1, sequenceMessage),
  v.maxValue(Number.MAX_SAFE_INTEGER, sequenceMessage),
);

/**
 * Any string: the Connhex API reference types preferred_locales as string[], and so does Stripe's API reference
 * (no pattern), so `en_US` is taken and kept as given.
 */
export const LocaleParamConnhex = v.pipe(v.string(), v.maxLength(limits.text));

/**
 * The Connhex API reference: the update body, with Stripe's rules (absent unchanged, "" clears, unknown refused).
 * Connhex's own rules come first: valibot reports issues in entry order and a Stripe error names
 * only the first, so a body with several faults (the reference's own example) names invoice_prefix.
 */
export const UpdateRequestConnhex = v.strictObject({
  invoice_prefix: v.optional(clearable(InvoicePrefixParamConnhex)),
  next_invoice_sequence: v.optional(NextInvoiceSequenceParamConnhex),
  // One picklist with "" rather than clearable(): a wrong value then says which values are allowed.
  tax_exempt: v.optional(
    clearableString(v.picklist(['', ...taxExemptValuesConnhex], 'Invalid tax_exempt: must be one of exempt, none or reverse.')),
  ),
  preferred_locales: v.optional(clearable(v.array(LocaleParamConnhex))),
  address: v.optional(clearable(AddressParam)),
  description: v.optional(text),
  email: v.optional(clearable(EmailParam)),
  // Connhex passes a customer on to Stripe, so Stripe's limits are Connhex's.
  name: v.optional(NameParamStripe),
  phone: v.optional(PhoneParamStripe),
  expand: v.optional(expandParam(expandableConnhex)),
});
export type UpdateRequestConnhex = v.InferOutput<typeof UpdateRequestConnhex>;

/** Create takes the same parameters. */
export const CreateRequestConnhex = UpdateRequestConnhex;
export type CreateRequestConnhex = UpdateRequestConnhex;
