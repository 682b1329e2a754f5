import fc from 'fast-check';
import type { JudgeHints, ValueShape } from '../../src/contract/fixtures.ts';
import { countryCodes } from '../../schemas/index.ts';

// Request bodies a provider's own OpenAPI document allows, generated from its JSON Schema: every
// combination of its members (each present or not), each value of its declared type, enum or
// format. Strings include a phone with an extension and text longer than any canonical limit had,
// so a limit of the gateway's own shows up. `hints` name values a member's description states but
// its type does not (an ISO-2 country typed as a string), by member name; `required` names members
// the provider itself requires though its document does not say so, by the parent member's name.

type Schema = Record<string, unknown>;
export interface Hints {
  readonly values?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  readonly required?: Readonly<Record<string, readonly string[]>>;
}

const plainText = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.-'), maxLength: 24 });
export const stringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: plainText },
  { weight: 1, arbitrary: fc.constantFrom('+1 (555) 123-4567 ext. 890', 'Zoë Ångström', '株式会社テスト', 'en_US') },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(257), `${'N'.repeat(300)}.`) },
);
const emailArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.stringMatching(/^[a-z]{1,10}$/))
  .map(([local, domain]) => `${local}@${domain}.example`);

let sequence = 0;

/** The generator of the values a dialect's fixtures describe (src/contract/fixtures.ts's `ValueShape`). */
export function shapeArbitrary(shape: ValueShape): fc.Arbitrary<unknown> {
  switch (shape.kind) {
    case 'country':
      return fc.constantFrom(...countryCodes);
    case 'email':
      return emailArb;
    case 'unique':
      return fc.constant(null).map(() => `${shape.prefix}${++sequence}`);
    case 'pattern':
      return fc.stringMatching(new RegExp(shape.pattern));
    case 'integer':
      return fc.integer({ min: shape.min, max: shape.max });
    case 'one-of':
      return fc.constantFrom(...shape.values);
    case 'text':
      return stringArb.filter((x) => x.length <= shape.maxLength);
  }
}

/** A dialect's judge hints (plain data in its fixtures.ts) as generators. */
export function hintsOf(judge: JudgeHints): Hints {
  const values = Object.fromEntries(Object.entries(judge.values ?? {}).map(([name, shape]) => [name, shapeArbitrary(shape)]));
  return { values, ...(judge.required ? { required: judge.required } : {}) };
}

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  let target: unknown = root;
  for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Schema)[part];
  return resolve(target as Schema, root);
}

/** An arbitrary of the values `schema` allows (within `root`, for $ref). */
export function schemaArbitrary(schema: Schema, root: Schema, hints: Hints = {}, name = ''): fc.Arbitrary<unknown> {
  const s = resolve(schema, root);
  const hinted = name === '' ? undefined : hints.values?.[name];
  if (hinted) return hinted;
  const options = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (options) return fc.oneof(...options.map((o) => schemaArbitrary(o, root, hints, name)));
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if (s.const !== undefined) return fc.constant(s.const);
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: 0, max: 1_000_000 });
    case 'number':
      return fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));
    case 'array': {
      const items = (s.items ?? {}) as Schema;
      return fc.array(schemaArbitrary(items, root, hints, `${name}[]`), { maxLength: 3 });
    }
    case 'string': {
      if (s.format === 'email') return emailArb;
      if (s.format === 'uuid') return fc.uuid();
      const max = typeof s.maxLength === 'number' ? s.maxLength : undefined;
      return max === undefined ? stringArb : stringArb.filter((x) => x.length <= max);
    }
    default: {
      const properties = (s.properties ?? {}) as Record<string, Schema>;
      if (Object.keys(properties).length === 0 && s.type === 'object') {
        // A free-form object (Stripe-like metadata): short keys, text values.
        return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/), plainText, { maxKeys: 3 });
      }
      const required = new Set([...((s.required ?? []) as string[]), ...(hints.required?.[name] ?? [])]);
      const entries = Object.fromEntries(Object.entries(properties).map(([key, p]) => [key, schemaArbitrary(p, root, hints, key)]));
      const requiredKeys = Object.keys(properties).filter((k) => required.has(k));
      return fc.record(entries, { requiredKeys });
    }
  }
}
