import * as v from 'valibot';

// Canonical limits bound what is stored, nothing more (docs/seams.md): a limit one provider has is
// that dialect's own, so the others never refuse what their provider takes. A name or a phone has
// no canonical limit: the per-customer size limit (src/core/customer-service.ts) bounds them.

export const limits = {
  email: 512,
  /** Stripe's free-text parameters (description, address lines). */
  text: 5000,
} as const;

/**
 * An email every dialect takes: Zenskar and Bigcapital check the format (pydantic's EmailStr,
 * class-validator's IsEmail), Stripe a loose one; Meteroid then checks it too.
 */
export const isEmail = (value: string): boolean => v.safeParse(v.pipe(v.string(), v.email()), value).success;
