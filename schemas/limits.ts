import * as v from 'valibot';

// Canonical limits bound what is stored, nothing more (docs/seams.md): a limit one provider has is
// that dialect's own, so the others never refuse what their provider takes. A name or a phone has
// no canonical limit: the per-customer size limit (src/core/customer-service.ts) bounds them.

export const limits = {
  email: 512,
  /** Stripe's free-text parameters (description, address lines). */
  text: 5000,
} as const;

// Built once: a schema made per call allocated its pipe, its actions and their Standard Schema props each time.
const emailFormat = v.pipe(v.string(), v.email());

/**
 * An email every dialect takes: Zenskar and Bigcapital check the format (pydantic's EmailStr,
 * class-validator's IsEmail), Stripe a loose one; Meteroid then checks it too.
 */
export const isEmail = (value: string): boolean => v.safeParse(emailFormat, value).success;

/**
 * Whether every number in a JSON value is kept exactly. JSON text may hold any number, but a
 * parsed one is a double: 12345678901234567890 becomes 12345678901234567000 and 1e400 Infinity
 * (stored as null), so a value holding one would be stored as something other than was sent.
 */
export function keptExactly(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value));
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value).every(keptExactly);
}

/**
 * A string's length as the providers count it: in characters (Unicode code points), as JSON
 * Schema's maxLength (Zenskar's and Stripe's OpenAPI documents), pydantic, Rust's `chars()` and
 * validator.js (class-validator's MaxLength) do, not in the UTF-16 units of valibot's maxLength:
 * "😀" is one character and two units, so a 255-character external_id with one emoji was refused.
 */
export function charCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

const charLimits = new WeakMap<object, number>();

/** The limit a maxChars check holds to, from its requirement (the OpenAPI documents state it as maxLength). */
export const charLimitOf = (requirement: unknown): number | undefined =>
  typeof requirement === 'function' ? charLimits.get(requirement) : undefined;

/** valibot's maxLength, in characters (charCount); its message unless one is given. */
export function maxChars<TInput extends string>(requirement: number, message?: string) {
  const fits = (value: TInput) => charCount(value) <= requirement;
  charLimits.set(fits, requirement);
  return v.check<TInput, v.ErrorMessage<v.CheckIssue<TInput>>>(
    fits,
    (issue) => message ?? `Invalid length: Expected <=${requirement} but received ${charCount(String(issue.input))}`,
  );
}
