import * as v from 'valibot';
import type { Customer, CustomerPatch } from '../../schemas/index.ts';
import type { CoverageField, Loss, RenderContext, Translation } from '../../src/contract/dialect.ts';
import type { FieldTable, FlatMembers, Member } from './lens-members.ts';

// A dialect's field table (its lens): one entry per provider member, keyed by the member's wire
// name, read one way by the server half (request schema, toPatch, render, the response schema)
// and the other by the client half (fromPatch, parse), and by the coverage table. Everything a
// dialect says about a member is in that one entry; what no entry can say (a member that needs
// another's value) is a named hook beside the table. An entry's parts, and the builders a table
// is declared with, are lens-members.ts; this file reads a table.

type Entries<T extends FieldTable> = Array<[string & keyof T, T[keyof T]]>;
export const entriesOf = <T extends FieldTable>(table: T) => Object.entries(table) as Entries<T>;

/** The wire name of the member that shows the customer's own id (or the identifier named). */
export function idMemberOf(table: FieldTable, field: CoverageField = 'uuid'): string {
  const found = entriesOf(table).find(([, m]) => m.field === field && m.shown !== undefined);
  if (!found) throw new Error('The field table has no member for the customer id.');
  return found[0];
}

/** The request body's entries: every member a request can carry, each optional. */
export type RequestEntries<T extends FieldTable> = {
  -readonly [K in keyof T as T[K]['param'] extends v.GenericSchema ? K : never]: v.OptionalSchema<
    Extract<T[K]['param'], v.GenericSchema>,
    undefined
  >;
};
export function requestEntries<T extends FieldTable>(table: T): RequestEntries<T> & FlatEntries<T, v.GenericSchema> {
  return Object.fromEntries(
    entriesOf(table).flatMap(([wire, m]) => [
      ...(m.param ? [[wire, v.optional(m.param)]] : []),
      ...flatOf(wire, m).flatMap(([name, f]) => (f.param ? [[name, v.optional(f.param)]] : [])),
    ]),
  ) as RequestEntries<T> & FlatEntries<T, v.GenericSchema>;
}

/** A spread member's properties (none for any other): [property, its schemas, suffix]. */
const flatOf = (wire: string, m: Member) => Object.entries(m.flat ?? {}).map(([suffix, f]) => [`${wire}${suffix}`, f, suffix] as const);
type Flat = ReturnType<typeof flatOf>;

/** A spread member's properties, each as `V`. */
export type FlatEntries<T extends FieldTable, V> = {
  -readonly [K in keyof T as T[K]['flat'] extends FlatMembers ? `${K & string}${keyof T[K]['flat'] & string}` : never]: V;
};

/**
 * A table's members with their spread properties, listed once when a dialect's mapping is built:
 * the functions below run per request, and listing the table in each (Object.entries, flatMap,
 * fromEntries) was 62 µs of an update's 1.1 ms on the main thread at a fixed rate
 * (docs/performance.md, "The thirteenth round").
 */
interface Listed {
  readonly wire: string;
  readonly m: Member;
  readonly flat: Flat;
}
const listed = (table: FieldTable): readonly Listed[] => entriesOf(table).map(([wire, m]) => ({ wire, m, flat: flatOf(wire, m) }));

/** A spread member's value (an object by suffix) -> its flat properties, into `out`. */
const spreadInto = (out: Record<string, unknown>, flat: Flat, value: unknown, keepUndefined: boolean): void => {
  const values = (value ?? {}) as Readonly<Record<string, unknown>>;
  for (const [name, , suffix] of flat) if (suffix in values && (keepUndefined || values[suffix] !== undefined)) out[name] = values[suffix];
};

/** An object's spread member: its flat properties, by suffix (absent ones left out); undefined when none is there. */
const gathered = (source: Readonly<Record<string, unknown>>, flat: Flat): Record<string, unknown> | undefined => {
  let found: Record<string, unknown> | undefined;
  for (const [name, , suffix] of flat) {
    if (source[name] === undefined) continue;
    found ??= {};
    found[suffix] = source[name];
  }
  return found;
};

/** The response's entries: every member the provider shows, with its schema. */
export type ResponseEntries<T extends FieldTable> = {
  -readonly [K in keyof T as T[K]['shown'] extends v.GenericSchema ? K : never]: Extract<T[K]['shown'], v.GenericSchema>;
};
export function responseEntries<T extends FieldTable>(table: T): ResponseEntries<T> & FlatEntries<T, v.GenericSchema> {
  return Object.fromEntries(
    entriesOf(table).flatMap(([wire, m]) => [
      ...(m.shown ? [[wire, m.shown]] : []),
      ...flatOf(wire, m).flatMap(([name, f]) => (f.shown ? [[name, f.shown]] : [])),
    ]),
  ) as ResponseEntries<T> & FlatEntries<T, v.GenericSchema>;
}

/** What the server half renders: every member with a `render`. */
export type Rendered<T extends FieldTable> = {
  -readonly [K in keyof T as NonNullable<T[K]['render']> extends (c: Customer, ctx: RenderContext) => infer R
    ? [R] extends [undefined]
      ? never
      : T[K]['flat'] extends FlatMembers
        ? never
        : K
    : never]: ReturnType<NonNullable<T[K]['render']>>;
} & Partial<FlatEntries<T, unknown>>;

/** A request body (already valid) -> the canonical patch. */
export const toPatchOf = (table: FieldTable) => {
  const members = listed(table).filter(({ m, flat }) => m.param !== undefined || flat.length > 0);
  return (body: Readonly<Record<string, unknown>>): CustomerPatch => {
    const patch: Record<string, unknown> = {};
    for (const { wire, m, flat } of members) {
      if (m.param && body[wire] !== undefined) Object.assign(patch, m.toPatch(body[wire]));
      const spread = flat.length > 0 ? gathered(body, flat) : undefined;
      if (spread) Object.assign(patch, m.toPatch(spread));
    }
    return patch as CustomerPatch;
  };
};

/** A render with no request behind it (a test, a client half's own check): nothing expanded. */
const unrequested: RenderContext = { expand: [], principal: { tenantId: '', livemode: false } };

/**
 * The customer -> the provider's representation of it; an expandable member as `expand[]` asks; a
 * member rendered as undefined is left out.
 */
export const renderOf = <T extends FieldTable>(table: T) => {
  const members = listed(table).filter(({ m }) => m.render !== undefined);
  return (c: Customer, ctx: RenderContext = unrequested): Rendered<T> => {
    const out: Record<string, unknown> = {};
    for (const { wire, m, flat } of members) {
      if (m.expandable && !ctx.expand.includes(wire)) {
        if (m.expandable === 'null') out[wire] = null;
        continue;
      }
      const shown = m.render!(c, ctx);
      if (m.flat) spreadInto(out, flat, shown, false);
      else if (shown !== undefined) out[wire] = shown;
    }
    return out as Rendered<T>;
  };
};

/** The members a request's `expand[]` may name. */
export const expandableOf = (table: FieldTable): string[] => entriesOf(table).flatMap(([wire, m]) => (m.expandable ? [wire] : []));

/** Whether a value the client half would send is one the provider takes (a loss says why not). */
export type SendCheck = (wire: string, m: Member, value: unknown, losses: Loss[]) => boolean;

/** A canonical patch -> the provider's update body: each written field the patch changes. */
export const fromPatchOf = (table: FieldTable, check?: SendCheck) => {
  const members = listed(table).filter(({ m }) => m.write && m.field !== null);
  return (patch: CustomerPatch): Translation & { body: Record<string, unknown> } => {
    const body: Record<string, unknown> = {};
    const losses: Loss[] = [];
    for (const { wire, m, flat } of members) {
      if ((patch as Record<string, unknown>)[m.field as string] === undefined) continue;
      const value = m.fromPatch(patch, losses);
      if (m.flat) spreadInto(body, flat, value, true);
      else if (value !== undefined && (!check || check(wire, m, value, losses))) body[wire] = value;
    }
    return { body, losses };
  };
};

/** A provider's customer (an object) -> the canonical state it shows. */
export const parseOf = (table: FieldTable) => {
  const members = listed(table);
  return (shown: Readonly<Record<string, unknown>>): CustomerPatch => {
    const state: Record<string, unknown> = {};
    for (const { wire, m, flat } of members) Object.assign(state, m.parse(m.flat ? (gathered(shown, flat) ?? {}) : shown[wire]));
    return state as CustomerPatch;
  };
};
