import * as v from 'valibot';
import { type Customer, type CustomerPatch, clear, type FieldName, type FieldOp, set } from '../../schemas/index.ts';
import type { CoverageField, FieldCoverage, Loss, RenderContext, Translation } from '../../src/contract/dialect.ts';
import { textOp } from './text-op.ts';

// A dialect's field table (its lens): one entry per provider member, keyed by the member's wire
// name, read one way by the server half (request schema, toPatch, render, the response schema)
// and the other by the client half (fromPatch, parse), and by the coverage table. Everything a
// dialect says about a member is in that one entry; what no entry can say (a member that needs
// another's value) is a named hook beside the table.

type Param = v.GenericSchema | undefined;
type ParamOutput<S extends Param> = S extends v.GenericSchema ? v.InferOutput<S> : never;

/** What an update through the provider can do with a member (the coverage matrix shows it). */
export type Write = NonNullable<FieldCoverage['write']>;

/** One provider member. Methods, so a table of specific members checks as a `FieldTable`. */
export interface Member<S extends Param = Param, R = unknown> {
  /** The canonical field it carries, the identifier it shows (`uuid`), or null for neither. */
  readonly field: CoverageField | null;
  /** The coverage matrix's name for it, where that is not the wire name (`metadata[key]`). */
  readonly as?: string;
  /** The request schema of its value; undefined where a request cannot carry it. */
  readonly param: S;
  /** The provider's response schema of its value; undefined where the provider does not show it. */
  readonly shown: v.GenericSchema | undefined;
  readonly write: Write | null;
  readonly note?: string;
  /** Each canonical member below `field` -> the provider's path for it, where it names it otherwise (FieldCoverage). */
  readonly members?: Readonly<Record<string, string>>;
  /** The canonical path its losses name, where that is not `field` (`tax_ids.VAT`). */
  readonly at?: string;
  /**
   * A clear the provider has no form for (`write.clear` false) that the client half leaves out
   * rather than refuses: what it cannot clear is not shown either (`cannotCarryOf`).
   */
  readonly clearLeftOut?: true;
  /**
   * Its value is spread over flat properties named the wire name and a suffix (Bigcapital's
   * `billingAddressCity`): each suffix's request and response schema. `toPatch`, `render`,
   * `fromPatch` and `parse` then take and give an object keyed by suffix.
   */
  readonly flat?: FlatMembers;
  /** Server half: a request's value (present, valid) -> the canonical change. */
  toPatch(value: ParamOutput<S>): CustomerPatch;
  /** Server half: the customer -> the value shown (the request's `expand[]` and principal beside it). */
  render?(c: Customer, ctx: RenderContext): R;
  /**
   * A Stripe expandable property: shown in full only when the request's `expand[]` names it, and
   * otherwise left out (`omitted`) or shown as null (`null`).
   */
  readonly expandable?: 'omitted' | 'null';
  /**
   * The canonical operations on its field the provider's documented API has no form for: an update
   * asking one of them is what the client half cannot carry (`cannotCarryOf`).
   */
  readonly unsent?: readonly ('clear' | 'merge')[];
  /** Client half: the field's canonical change (present) -> the value sent; undefined leaves it out. */
  fromPatch(patch: CustomerPatch, losses: Loss[]): unknown;
  /** Client half: the value the provider shows -> the canonical state it stands for. */
  parse(shown: unknown): CustomerPatch;
}

/** The flat properties of a spread member, by suffix. */
export type FlatMembers = Readonly<Record<string, { readonly param?: v.GenericSchema; readonly shown?: v.GenericSchema }>>;

// Biome's noExplicitAny is right in general; here `any` is the one way to say "a member of any
// request type" so that each entry keeps its own.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type FieldTable = Readonly<Record<string, Member<any, any>>>;

/** Parses nothing: a member the client half does not read back (`readsOf` tells them apart). */
export const none = (): CustomerPatch => ({});
const absent = (): undefined => undefined;

/** A member's parts, each defaulting to "does nothing". */
export function member<S extends Param = undefined, R = undefined>(
  field: CoverageField | null,
  parts: Partial<Omit<Member<S, R>, 'field'>>,
): Member<S, R> {
  return {
    field,
    param: undefined as S,
    shown: undefined,
    write: null,
    toPatch: none,
    fromPatch: absent,
    parse: none,
    ...parts,
  };
}

/** Fields whose value is text (name, email, an id): one `FieldOp<string>` each. */
export type TextField = {
  [K in FieldName]-?: NonNullable<CustomerPatch[K]> extends FieldOp<string>
    ? FieldOp<string> extends NonNullable<CustomerPatch[K]>
      ? K
      : never
    : never;
}[FieldName];
type FlagField = { [K in FieldName]-?: NonNullable<CustomerPatch[K]> extends FieldOp<boolean> ? K : never }[FieldName];

const shownText = (value: unknown): FieldOp<string> => (typeof value === 'string' && value !== '' ? set(value) : clear);
const sent = <T>(op: FieldOp<T> | undefined): T | null => (op?.op === 'set' ? op.value : null);

/**
 * Text as a provider whose API holds "" shows it (Zenskar's phone_number and Bigcapital's text
 * properties are strings in their references, "" among them): "" is the "" it holds, not none.
 */
export const heldText = (value: unknown): FieldOp<string> => (typeof value === 'string' ? set(value) : clear);

export const readWrite: Write = { set: true, clear: true };

/**
 * Text where "" and null clear (textOp); shown as the text or null, and read back the same way. A
 * clear that came in as "" goes out as "": this dialect reads it as the source did (it keeps a
 * stored ""), where null would clear that "".
 */
export function text<S extends v.GenericSchema<unknown, string | null>>(field: TextField, param: S, shown: v.GenericSchema, note?: string) {
  return member<S, string | null>(field, {
    param,
    shown,
    write: readWrite,
    ...(note ? { note } : {}),
    toPatch: (value) => ({ [field]: textOp(value as string | null) }),
    render: (c) => c[field],
    fromPatch: (patch, losses) => {
      const op = patch[field];
      if (op?.op === 'set' && op.value === '') {
        losses.push({ field, kind: 'lossy', message: `"" is read as a clear: ${field} is cleared, not set to "".` });
      }
      return op?.op === 'clear' && op.keepsEmpty ? '' : sent(op);
    },
    parse: (value) => ({ [field]: shownText(value) }),
  });
}

/** Text where only null clears ("" is refused by its schema, or is a value). */
export function value<S extends v.GenericSchema<unknown, string | null>>(
  field: TextField,
  param: S,
  shown: v.GenericSchema,
  note?: string,
) {
  const base = text(field, param, shown, note);
  return {
    ...base,
    toPatch: (value: string | null) => ({ [field]: value === null ? clear : set(value) }),
    // "" is not a clear here: every clear is sent as null.
    fromPatch: (patch: CustomerPatch, losses: Loss[]) => (patch[field]?.op === 'clear' ? null : base.fromPatch(patch, losses)),
  };
}

/** A boolean where null puts the default back; read back only when the provider shows a boolean. */
export function flag<S extends v.GenericSchema<unknown, boolean | null>>(
  field: FlagField,
  param: S,
  shown: v.GenericSchema,
  note?: string,
) {
  return member<S, boolean>(field, {
    param,
    shown,
    write: readWrite,
    ...(note ? { note } : {}),
    toPatch: (value) => ({ [field]: value === null ? clear : set(value) }),
    render: (c) => c[field],
    fromPatch: (patch) => sent(patch[field]),
    parse: (value) => (typeof value === 'boolean' ? { [field]: set(value) } : {}),
  });
}

/** The customer's own id, shown and never written. */
export const identifier = (shown: v.GenericSchema, note?: string) =>
  member<undefined, string>('uuid', { shown, ...(note ? { note } : {}), render: (c) => c.uuid });

type Entries<T extends FieldTable> = Array<[string & keyof T, T[keyof T]]>;
export const entriesOf = <T extends FieldTable>(table: T) => Object.entries(table) as Entries<T>;

/** A member the provider takes but does not show: the same request side, nothing rendered or read back. */
export function unshown<M extends FieldTable[string]>(m: M, note?: string): Unshown<M> {
  const { render: _render, ...rest } = m;
  return { ...rest, shown: undefined, parse: none, ...(note ? { note } : {}) } as Unshown<M>;
}
type Unshown<M extends FieldTable[string]> = Omit<M, 'render' | 'shown' | 'parse'> & Member<M['param'], undefined>;

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
