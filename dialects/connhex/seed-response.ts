import * as v from 'valibot';

// Seed 001's response schema, as a check on what we render. Its required properties (id,
// created, delinquent) are required here; the rest are always rendered, null when empty.

const nullableString = v.nullable(v.string());

export const CustomerResponseConnhex = v.object({
  id: v.pipe(v.string(), v.startsWith('cus_')),
  created: v.pipe(v.number(), v.integer()),
  delinquent: v.boolean(),
  address: v.nullable(
    v.strictObject({
      city: nullableString,
      country: nullableString,
      line1: nullableString,
      line2: nullableString,
      postal_code: nullableString,
      state: nullableString,
    }),
  ),
  email: nullableString,
  name: nullableString,
  phone: nullableString,
  subscriptions: v.nullable(
    v.strictObject({
      object: v.literal('list'),
      data: v.array(v.unknown()),
      has_more: v.boolean(),
      total_count: v.number(),
      url: v.string(),
    }),
  ),
});
