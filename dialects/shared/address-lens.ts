import type * as v from 'valibot';
import type { Address, AddressOp, AddressPatch } from '../../schemas/index.ts';
import { shownAddress } from '../../src/contract/dialect.ts';
import { textOp } from './text-op.ts';

// An address object's members, as a field table (dialects/shared/lens.ts) of its own: each wire
// member's canonical address member, its request and response schemas, read both ways.

export interface AddressMember {
  /** The canonical address member; null for one accepted and shown as null, never stored. */
  readonly to: keyof Address | null;
  readonly param: v.GenericSchema;
  readonly shown: v.GenericSchema;
  /** What is shown, where that is not the member's value. */
  readonly render?: (a: Address) => unknown;
  /** Its request value is read by the dialect's hook, not as plain text. */
  readonly hook?: true;
  /** Shown, but the client half does not read it back. */
  readonly unread?: true;
  /**
   * The provider holds "" as a value here (its reference types the member a string and it shows
   * what it holds): a "" shown is read back as "", not as none (src/contract/client.ts, heldText).
   */
  readonly held?: true;
}
export type AddressTable = Readonly<Record<string, AddressMember>>;

type Column<T extends AddressTable, K extends 'param' | 'shown'> = { -readonly [W in keyof T]: T[W][K] };
const column = <T extends AddressTable, K extends 'param' | 'shown'>(table: T, key: K): Column<T, K> =>
  Object.fromEntries(Object.entries(table).map(([wire, m]) => [wire, m[key]])) as Column<T, K>;

/**
 * Each canonical address member the table carries (`under` before it) -> the provider's path for it
 * (`path` of its wire name): the first member carrying it (an alias is read, not named).
 */
export function addressNames(
  table: Readonly<Record<string, { readonly to: string | null; readonly aliasOf?: string }>>,
  path: (wire: string) => string,
  under = '',
): Readonly<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [wire, m] of Object.entries(table)) {
    const key = `${under}${m.to}`;
    if (m.to !== null && m.aliasOf === undefined && !Object.hasOwn(names, key)) names[key] = path(wire);
  }
  return names;
}

/** The request object's entries. */
export const addressParams = <T extends AddressTable>(table: T) => column(table, 'param');
/** The response object's entries. */
export const addressShown = <T extends AddressTable>(table: T) => column(table, 'shown');

/** The address as the provider shows it, or null. */
export const renderAddressOf =
  <T extends AddressTable>(table: T) =>
  (a: Address | null): { -readonly [W in keyof T]: unknown } | null =>
    a === null
      ? null
      : (Object.fromEntries(Object.entries(table).map(([wire, m]) => [wire, m.render ? m.render(a) : m.to ? (a[m.to] ?? null) : null])) as {
          -readonly [W in keyof T]: unknown;
        });

/** The plain text members of a request's address, member by member (absent unchanged, null or "" clears). */
export function plainAddressPatch(table: AddressTable, param: Readonly<Record<string, unknown>>): AddressPatch {
  const patch: Record<string, unknown> = {};
  for (const [wire, m] of Object.entries(table)) {
    if (m.to === null || m.hook) continue;
    const op = textOp(param[wire] as string | null | undefined);
    if (op) patch[m.to] = op;
  }
  return patch as AddressPatch;
}

/**
 * A canonical address change -> the address object sent: every member for a set, the changed ones
 * for a merge; a member's clear that came in as "" goes as "" (it keeps a stored ""), else as null.
 */
export function sentAddress(table: AddressTable, op: AddressOp): Record<string, string | null> | null {
  if (op.op === 'clear') return null;
  const out: Record<string, string | null> = {};
  for (const [wire, m] of Object.entries(table)) {
    if (m.to === null) continue;
    if (op.op === 'set') out[wire] = (op.value[m.to] as string | null | undefined) ?? null;
    else {
      const memberOp = op.value[m.to];
      if (memberOp) out[wire] = memberOp.op === 'set' ? String(memberOp.value) : memberOp.keepsEmpty ? '' : null;
    }
  }
  return out;
}

/** The address the provider shows -> the members it shows, merged (what it cannot show stays). */
export const shownAddressOf = (table: AddressTable) => {
  const members = Object.entries(table).flatMap(([wire, m]) =>
    m.to !== null && !m.unread ? [[wire, m.to, m.held === true] as const] : [],
  );
  return (value: unknown): AddressOp => shownAddress(value, members);
};
