import { dialects } from '../dialects/index.ts';
import {
  type Address,
  clear,
  clearToEmpty,
  type CustomerPatch,
  type FieldName,
  fieldDefaults,
  fieldNames,
  merge,
} from '../schemas/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { applyPatch, emptyAddress } from '../src/core/apply-patch.ts';
import { asCustomer, carriedPatch } from '../src/upstream/fidelity.ts';
import { clientName } from '../src/upstream/refusal.ts';
import { patchToDialect } from '../src/gateway/translate.ts';

// What a proxy refuses, per (client dialect, upstream dialect) pair, generated from each client
// half's `cannotCarry` declaration so the documents cannot drift from the code: every change a
// client dialect's update can make (a clear, a member of an object cleared alone, a key of a map
// removed) is put to the upstream's declaration. `npm run docs` writes the table between markers
// in docs/migrating.md and docs/dialects/<name>.md; a test fails when a committed copy is stale.

const registered = (): AnyDialect[] => Object.values(dialects);

/** One change a client can make, as a canonical patch, and how the table names it. */
interface Probe {
  readonly patch: CustomerPatch;
  /** The canonical path of what changes (`email`, `address.line2`). */
  readonly path: string;
  readonly kind: 'clear' | 'member';
}

const addressMembers = Object.keys(emptyAddress) as (keyof Address)[];

/** Every clear and member-by-member change the client dialect's update can express. */
function probes(client: AnyDialect): Probe[] {
  const out: Probe[] = [];
  for (const field of fieldNames) {
    const write = client.translation.coverage[field]?.write;
    if (!write) continue;
    if (write.clear) out.push({ patch: { [field]: clear }, path: field, kind: 'clear' });
    if (write.mode === 'replace') continue;
    if (field === 'address') {
      for (const m of addressMembers) out.push({ patch: { address: merge({ [m]: clear }) }, path: `address.${m}`, kind: 'member' });
    }
    if (field === 'shipping') {
      for (const m of ['name', 'phone'] as const)
        out.push({ patch: { shipping: merge({ [m]: clear }) }, path: `shipping.${m}`, kind: 'member' });
      for (const m of addressMembers) {
        out.push({
          patch: { shipping: merge({ address: merge({ [m]: clear }) }) },
          path: `shipping.address.${m}`,
          kind: 'member',
        });
      }
    }
    if (field === 'metadata') out.push({ patch: { metadata: merge({ key: clear }) }, path: 'metadata.key', kind: 'member' });
  }
  // A change the client's own wire form cannot make is not one its clients send. A clear goes in
  // the form the client has for it: a Stripe-like body's "" keeps a stored "" (ClearOp.keepsEmpty),
  // and put as a null clear it would read as a change the client cannot make.
  const expressible = (p: Probe) =>
    !patchToDialect(client, p.patch).losses.some((l) => l.kind !== 'required' && p.path.startsWith(l.field));
  return out.flatMap((p) => {
    if (expressible(p)) return [p];
    const asEmpty = { ...p, patch: emptyClears(p.patch) };
    return expressible(asEmpty) ? [asEmpty] : [];
  });
}

/** The patch with each clear in it sent as "" (clearToEmpty), inside merges too. */
function emptyClears(patch: CustomerPatch): CustomerPatch {
  const swap = (op: unknown): unknown => {
    if (op === clear) return clearToEmpty;
    if (typeof op === 'object' && op !== null && (op as { op?: unknown }).op === 'merge') {
      const value = (op as { value: Record<string, unknown> }).value;
      return merge(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)])));
    }
    return op;
  };
  return Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, swap(v)])) as CustomerPatch;
}

// A member cleared alone leaves the others, and the proxy sends the provider the absolute values
// the write leaves (src/upstream/proxy.ts, carriedPatch): judged on a customer holding every
// member, a provider that takes the object whole (Meteroid's billing_address) carries it. Clearing
// the last member a customer holds is a clear of the object, which has its own row.
const address: Address = {
  ...emptyAddress,
  ...{ line1: '1 Main St', line2: 'Unit 2', line3: 'Floor 3', city: 'Berlin', state: 'BE', postal_code: '10115', country: 'DE' },
};
const full = asCustomer(
  '00000000-0000-4000-8000-000000000000',
  { ...fieldDefaults, address, shipping: { name: 'Jenny', phone: '+1 555 0100', same_as_billing: false, address } },
  undefined,
);

export interface Refusal {
  /** The change, in the client dialect's names. */
  readonly change: string;
  readonly why: string;
}

/** What a proxy refuses a client of `client` whose tenant's proxy upstream speaks `upstream`. */
export function refusals(client: AnyDialect, upstream: AnyDialect): Refusal[] {
  const declare = upstream.client.cannotCarry;
  if (!declare || client === upstream) return [];
  const seen = new Map<string, Refusal>();
  for (const probe of probes(client)) {
    // A member change is of a customer the proxy holds: it is put with one, as the proxy puts it.
    const touched = Object.keys(probe.patch) as FieldName[];
    const write =
      probe.kind === 'member'
        ? { patch: carriedPatch(upstream, full, applyPatch(full, probe.patch), touched), current: full }
        : { patch: probe.patch };
    for (const path of declare(write)) {
      // A whole field the client spreads over several parameters (Bigcapital's billingAddress1/2/City/…),
      // cleared whole, is named by all of them: a member the provider cannot clear (Meteroid's
      // line3) has no parameter of its own there, and one of the others would read as its clear.
      const spread = probe.path.includes('.') ? undefined : client.translation.coverage[probe.path as FieldName]?.as;
      const name = spread?.includes('/') ? spread : clientName(path, upstream, client) || path;
      // A member change declared for its whole object: the object cannot be changed member by member.
      const partial = probe.kind === 'member' && path !== probe.path;
      const change = partial
        ? `a change of some members of \`${name}\` only`
        : `a clear of \`${name}\`${probe.kind === 'member' ? ' alone' : ''}`;
      const why = partial ? `the ${upstream.name} API takes the whole object only` : `the ${upstream.name} API has no form for this clear`;
      if (!seen.has(change)) seen.set(change, { change, why });
    }
  }
  return [...seen.values()];
}

function rows(pairs: readonly (readonly [AnyDialect, AnyDialect])[]): string[] {
  const lines = ['| client dialect | proxy upstream | refused | why |', '|---|---|---|---|'];
  for (const [client, upstream] of pairs) {
    const found = refusals(client, upstream);
    if (found.length === 0) lines.push(`| ${client.name} | ${upstream.name} | nothing | every change it can make, the upstream can make |`);
    for (const r of found) lines.push(`| ${client.name} | ${upstream.name} | ${r.change} | ${r.why} |`);
  }
  return lines;
}

const start = "<!-- refusals:start: generated by `npm run docs` from each client half's cannotCarry. Do not edit. -->";
const end = '<!-- refusals:end -->';

/** The table of every ordered pair, or of the pairs one dialect is in (its page). */
export function refusalTable(only?: string): string {
  const all = registered();
  const pairs = all.flatMap((c) => all.filter((u) => u !== c).map((u) => [c, u] as const));
  const chosen = only === undefined ? pairs : pairs.filter(([c, u]) => c.name === only || u.name === only);
  return [start, '', ...rows(chosen), '', end].join('\n');
}

/** The heading a page without the table yet gets it under. */
export const refusalHeading = [
  '### What a proxy refuses, per pair',
  '',
  "Each upstream's client half declares the changes its provider's API has no form for; a proxy",
  "refuses them before anything is sent, in the client's envelope, and neither side changes. A value",
  "the provider's own schema would refuse is refused the same way ([Migrating](../migrating.md)).",
].join('\n');

/** The document with its generated table replaced (or appended under `heading` when it has none yet). */
export function withRefusalTable(document: string, table: string, heading: string): string {
  // Any start marker: a page may open the table with the short form before its first generation.
  const from = document.indexOf('<!-- refusals:start');
  const to = document.indexOf(end);
  if (from >= 0 && to > from) return `${document.slice(0, from)}${table}${document.slice(to + end.length)}`;
  return `${document.trimEnd()}\n\n${heading}\n\n${table}\n`;
}
