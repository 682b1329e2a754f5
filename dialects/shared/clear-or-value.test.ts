import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/contract/validate.ts';
import { valueFirst } from './clear-or-value.ts';

// valueFirst must answer every input exactly as the union it wraps: the same output for what it
// takes, and for what it refuses the same issues, which the dialects' error envelopes are built from.

const text = v.pipe(v.string(), v.maxLength(8, 'too long'));
const address = v.strictObject({ city: v.optional(v.union([v.literal(''), v.null(), text])), line1: v.optional(text) });
const cases = {
  'a string or its clear (null)': [v.union([v.null(), text]), text],
  'a hash or its clears ("", null)': [v.union([v.literal(''), v.null(), address]), address],
} as const;

/** An issue as held-limits.ts and validate.ts read it: its type, message, path and the issues under it. */
const issueOf = (issue: v.BaseIssue<unknown>): unknown => ({
  type: issue.type,
  message: issue.message,
  path: issue.path?.map((item) => item.key),
  issues: issue.issues?.map(issueOf),
});

/** What a caller sees of a parse: its output, or each issue's path, kind and message (validate.ts), and valibot's own issues. */
function seen(schema: v.GenericSchema, input: unknown): unknown {
  const parsed = v.safeParse(schema, { p: input });
  const raw = parsed.success ? { output: parsed.output } : { issues: parsed.issues.map(issueOf) };
  try {
    return { ...raw, validated: validate(schema, { p: input }) };
  } catch (error) {
    return { ...raw, refused: (error as { issues?: unknown }).issues };
  }
}

const inputs = fc.oneof(
  fc.constantFrom('', null, undefined, 0, true, [], {}, 'exactly8', 'nine char'),
  fc.string({ maxLength: 12 }),
  fc.double(),
  fc.dictionary(fc.constantFrom('city', 'line1', 'other'), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(null, '', 3))),
);

describe('valueFirst', () => {
  for (const [name, [union, value]] of Object.entries(cases)) {
    it(`answers as the union for ${name}`, () => {
      const plain = v.strictObject({ p: v.optional(union) });
      const quick = v.strictObject({ p: v.optional(valueFirst(union, value)) });
      fc.assert(
        fc.property(inputs, (input) => {
          expect(seen(quick, input)).toEqual(seen(plain, input));
        }),
        { numRuns: 500 },
      );
    });
  }

  it('still clears with "" and null, and still refuses what no option takes', () => {
    const schema = v.strictObject({ p: valueFirst(v.union([v.literal(''), v.null(), address]), address) });
    expect(v.parse(schema, { p: '' })).toEqual({ p: '' });
    expect(v.parse(schema, { p: null })).toEqual({ p: null });
    expect(v.parse(schema, { p: { city: 'Rome' } })).toEqual({ p: { city: 'Rome' } });
    expect(v.safeParse(schema, { p: 3 }).success).toBe(false);
    expect(v.safeParse(schema, { p: { city: 'far too long' } }).success).toBe(false);
  });
});
