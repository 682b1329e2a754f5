import * as v from 'valibot';

// Canonical limits are the union of the dialects' limits on the fields they share (docs/seams.md):
// a value one dialect stores can then be shown by every other and written back through it.

export const limits = {
  /** Stripe's customer name (Wooshpay, Connhex); Bigcapital's displayName, Zenskar's customer_name. */
  name: 256,
  /** Stripe's phone; Meteroid's phone, Bigcapital's workPhone, Zenskar's phone_number. */
  phone: 20,
  email: 512,
  /** Stripe's free-text parameters (description, address lines). */
  text: 5000,
} as const;

/**
 * An email every dialect takes: Zenskar and Bigcapital check the format (pydantic's EmailStr,
 * class-validator's IsEmail), Stripe a loose one; Meteroid then checks it too.
 */
export const isEmail = (value: string): boolean => v.safeParse(v.pipe(v.string(), v.email()), value).success;
