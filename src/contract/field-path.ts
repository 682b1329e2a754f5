import type * as v from 'valibot';
import { type FieldName, fieldNames } from '../../schemas/index.ts';
import type { AnyDialect } from './dialect.ts';
import { GatewayError, type Issue } from './errors.ts';

// The core's checks name canonical fields (`shipping.address.country`); a client reads its own
// dialect's parameters. The dialect's coverage table names the parameter of each canonical field,
// its request schema the members below it: a canonical member the parameter does not nest is
// skipped (Zenskar's ship_to_address holds the address members itself), and a dialect of flat
// parameters joins the member onto the parameter's stem (Bigcapital's shippingAddressCountry).
// A member the provider names otherwise (Zenskar's address.zipCode, Meteroid's zip_code) is named
// by the field table's `members`, both ways.

type Entries = Readonly<Record<string, v.GenericSchema>>;

/** The members an object schema takes, through optional/nullable wrappers, pipes and unions. */
function entriesOf(schema: unknown, depth = 0): Entries | undefined {
  if (typeof schema !== 'object' || schema === null || depth > 8) return undefined;
  const s = schema as { entries?: Entries; wrapped?: unknown; options?: readonly unknown[]; pipe?: readonly unknown[] };
  if (s.entries) return s.entries;
  if (s.wrapped) return entriesOf(s.wrapped, depth + 1);
  for (const option of [...(s.options ?? []), ...(s.pipe ?? [])]) {
    const found = entriesOf(option, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** An array schema's item, through wrappers. */
function itemOf(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return undefined;
  const s = schema as { wrapped?: unknown; item?: unknown; options?: readonly unknown[]; pipe?: readonly unknown[] };
  if (s.item) return s.item;
  if (s.wrapped) return itemOf(s.wrapped, depth + 1);
  return [...(s.options ?? []), ...(s.pipe ?? [])].map((o) => itemOf(o, depth + 1)).find((i) => i !== undefined);
}

const camel = (member: string) => member.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase());

/** A flat parameter for `member` beside `stem` (billingAddress + country -> billingAddressCountry). */
function flatMember(top: Entries, stem: string, member: string): string | undefined {
  const line = /^line(\d)$/.exec(member)?.[1];
  const candidates = [`${stem}${camel(member)}`, ...(line ? [`${stem}${line}`] : [])];
  const exact = candidates.find((c) => Object.hasOwn(top, c));
  if (exact) return exact;
  const start = camel(member).slice(0, 4);
  return Object.keys(top).find((key) => key.startsWith(stem) && key.slice(stem.length).startsWith(start));
}

const isField = (name: unknown): name is FieldName => typeof name === 'string' && fieldNames.includes(name as FieldName);

/** The longest start of `members` a table names: its provider path and how many members it took. */
function namedMember(members: Readonly<Record<string, string>>, rest: readonly (string | number)[]) {
  for (let n = rest.length; n > 0; n--) {
    const named = members[rest.slice(0, n).join('.')];
    if (named !== undefined) return { path: named.split('.'), taken: n };
  }
  return undefined;
}

/** A canonical path in the dialect's parameter names. */
export function dialectPath(dialect: AnyDialect, path: readonly (string | number)[]): (string | number)[] {
  const [first, ...rest] = path;
  if (!isField(first)) return [...path];
  const coverage = dialect.translation.coverage[first];
  const as = coverage?.as;
  // A field the dialect does not show: its name alone, no canonical members below it.
  if (as === undefined) return [first];
  const named = coverage?.members && namedMember(coverage.members, rest);
  if (named) return [...named.path, ...rest.slice(named.taken)];
  const root = as.split(/[.[\s/]/)[0] ?? as;
  const top = entriesOf(dialect.wire.request.update) ?? {};
  if (as.includes('/') || !Object.hasOwn(top, root)) {
    const last = rest.filter((m): m is string => typeof m === 'string').at(-1);
    const flat = last === undefined ? undefined : flatMember(top, root.replace(/\d+$/, ''), last);
    // A field spread over parameters (Bigcapital's billingAddress1/2/City/…) with no parameter of
    // its own for this member (line3), or cleared whole, is named by all of them: one of them
    // (billingAddress1) would read as a change of that parameter alone.
    return [flat ?? (as.includes('/') ? as : root)];
  }
  const out: (string | number)[] = [root];
  let schema: unknown = top[root];
  for (const member of rest) {
    if (typeof member === 'number') {
      // An index only where the parameter is a list (Meteroid's vat_number is one string).
      schema = itemOf(schema);
      if (schema !== undefined) out.push(member);
      continue;
    }
    const entries = entriesOf(schema);
    if (entries && Object.hasOwn(entries, member)) {
      out.push(member);
      schema = entries[member];
    }
  }
  return out;
}

/**
 * A path in the dialect's parameter names whose start is a member its field table names
 * (`address.zipCode`, `billingAddressZipcode`) -> the canonical path (`address.postal_code`);
 * undefined for any other path.
 */
export function canonicalPath(dialect: AnyDialect, path: readonly (string | number)[]): (string | number)[] | undefined {
  let best: { path: (string | number)[]; taken: number } | undefined;
  for (const field of fieldNames) {
    for (const [member, named] of Object.entries(dialect.translation.coverage[field]?.members ?? {})) {
      const parts = named.split('.');
      const starts = parts.every((part, i) => path[i] === part);
      if (starts && parts.length > (best?.taken ?? 0)) best = { path: [field, ...member.split('.')], taken: parts.length };
    }
  }
  return best && [...best.path, ...path.slice(best.taken)];
}

/** An error whose issues name canonical fields (`canonical`), with its paths in the dialect's names. */
export function inDialectTerms(error: GatewayError, dialect: AnyDialect): GatewayError {
  if (error.details.canonical !== true) return error;
  const { canonical: _canonical, ...details } = error.details;
  const issues: Issue[] | undefined = details.issues?.map((issue) => ({ ...issue, path: dialectPath(dialect, issue.path) }));
  return new GatewayError(error.code, error.message, issues ? { ...details, issues } : details);
}
