import * as v from 'valibot';
import { clear, limits, maxChars, set } from '../../schemas/index.ts';
import { type FieldTable, member, readWrite, unshown } from '../shared/lens-members.ts';
import { addressMember, createdStripe, delinquentStripe, idStripe, textEmptyIsClear } from '../stripe-like/fields.ts';
import { clearable, clearableString, EmailParam, isCleared, NameParamStripe, PhoneParamStripe, text } from '../stripe-like/request.ts';

// Connhex's field table: every member of its customer (the Connhex API reference's update body and
// its response), built from the Stripe shape (dialects/stripe-like/fields.ts) and read both ways by
// dialects/shared/lens.ts. The response shows only id, created, delinquent, address, email, name,
// phone and subscriptions: the other members an update sets are not read back through Connhex
// (read them through another dialect or GET /gateway/v1/customers/{id}).
// Connhex's own rules come first: valibot reports issues in entry order and a Stripe error names
// only the first, so a body with several faults (the reference's own example) names invoice_prefix.
// The update body is built in the same order, and so are its losses.

const title = 'Connhex';

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
export const LocaleParamConnhex = v.pipe(v.string(), maxChars(limits.text));

/** A member the update takes and the response does not show. */
const notShown = <M extends FieldTable[string]>(m: M, note: string) => unshown(m, `not in the seed's response; ${note}`);

export const fieldsConnhex = {
  invoice_prefix: notShown(
    textEmptyIsClear(title, 'invoice_prefix', clearable(InvoicePrefixParamConnhex)),
    '^[A-Z0-9]{3,12}$, else 400; "" clears',
  ),
  next_invoice_sequence: notShown(
    member('next_invoice_sequence', {
      param: NextInvoiceSequenceParamConnhex,
      write: { set: true, clear: false },
      toPatch: (sequence: number) => ({ next_invoice_sequence: set(sequence) }),
      // A clear cannot be sent (Connhex refuses "" here) and no Connhex request asks one, but the
      // local customer can lose its sequence another way (a Wooshpay proxy upstream shows null and
      // is taken in): the clear is then refused (proxy) or named not carried (mirror), by
      // cannotCarryOf, never left out in silence (test/mirror-unclearable.test.ts).
      fromPatch: ({ next_invoice_sequence: op }) => (op?.op === 'set' ? op.value : undefined),
    }),
    'integer >= 1 (digits in a form body); cannot be unset',
  ),
  tax_exempt: notShown(
    member('tax_exempt', {
      // One picklist with "" rather than clearable(): a wrong value then says which values are allowed.
      param: clearableString(v.picklist(['', ...taxExemptValuesConnhex], 'Invalid tax_exempt: must be one of exempt, none or reverse.')),
      write: readWrite,
      // "" resets to Stripe's default, none, which is also the canonical default.
      toPatch: (value: string | null) => ({ tax_exempt: isCleared(value) ? clear : set(value as (typeof taxExemptValuesConnhex)[number]) }),
      fromPatch: ({ tax_exempt: op }, losses) => {
        if (op?.op !== 'exempt') return op?.op === 'set' ? op.value : '';
        losses.push({
          field: 'tax_exempt',
          kind: 'lossy',
          message: `${title} has no "exempt of either kind": it is sent as exempt, which turns a reverse charge into exempt.`,
        });
        return 'exempt';
      },
    }),
    'exempt | none | reverse; "" resets to none',
  ),
  preferred_locales: notShown(
    member('preferred_locales', {
      param: clearable(v.array(LocaleParamConnhex)),
      write: readWrite,
      toPatch: (locales: '' | null | string[]) => ({ preferred_locales: isCleared(locales) ? clear : set(locales) }),
      fromPatch: ({ preferred_locales: op }) => (op?.op === 'set' ? [...op.value] : ''),
    }),
    'replaced whole; "" clears',
  ),
  id: idStripe,
  created: createdStripe,
  delinquent: delinquentStripe,
  description: notShown(textEmptyIsClear(title, 'description', text), '"" clears'),
  email: textEmptyIsClear(title, 'email', clearable(EmailParam), '"" clears'),
  // Connhex passes a customer on to Stripe, so Stripe's limits are Connhex's.
  name: textEmptyIsClear(
    title,
    'name',
    NameParamStripe,
    '"" or null clears; at most 256 characters (Stripe\'s limit: Connhex is Stripe underneath), except a longer name the customer holds, sent back unchanged',
  ),
  phone: textEmptyIsClear(
    title,
    'phone',
    PhoneParamStripe,
    '"" or null clears; at most 20 characters (Stripe\'s limit: Connhex is Stripe underneath), except a longer phone the customer holds, sent back unchanged',
  ),
  address: addressMember('members patch one by one; address="" clears; line3 and contact are not shown'),
  // Stripe's list object, shown when `expand[]` names it, else null; there is no subscription
  // store, so it is always empty.
  subscriptions: member<undefined, Record<string, unknown>>(null, {
    expandable: 'null',
    shown: v.nullable(
      v.strictObject({
        object: v.literal('list'),
        data: v.array(v.unknown()),
        has_more: v.boolean(),
        total_count: v.number(),
        url: v.string(),
      }),
    ),
    render: (c) => ({ object: 'list', data: [], has_more: false, total_count: 0, url: `/customers/${c.public_id}/subscriptions` }),
  }),
} satisfies FieldTable;
