import type * as v from 'valibot';
import { type Customer, type CustomerPatch, clear, type FieldName, type FieldOp, set } from '../../schemas/index.ts';
import type { CoverageField, FieldCoverage, Loss, RenderContext } from '../../src/contract/dialect.ts';
export { heldText } from '../../src/contract/dialect.ts';
import { textOp } from './text-op.ts';

// The members of a field table (lens.ts): what one entry says of a provider member, and the
// builders a dialect's fields.ts declares its entries with (text, value, flag, identifier, unshown).

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

/** A member the provider takes but does not show: the same request side, nothing rendered or read back. */
export function unshown<M extends FieldTable[string]>(m: M, note?: string): Unshown<M> {
  const { render: _render, ...rest } = m;
  return { ...rest, shown: undefined, parse: none, ...(note ? { note } : {}) } as Unshown<M>;
}
type Unshown<M extends FieldTable[string]> = Omit<M, 'render' | 'shown' | 'parse'> & Member<M['param'], undefined>;
