import type { Reconciliation } from '../outbox/reconcile.ts';
import type { ImportRenumbered } from '../upstream/import-view.ts';
import type { ImportConflict, ImportRefusal } from '../upstream/import-one.ts';
import { terminalJson, terminalName } from '../upstream/terminal-text.ts';

// What `custgate upstream import` and `reconcile` (src/cli/book.ts) tell a person: the customers an
// import left out and why, and a reconciliation's report. Every id, value and reason in them may
// come from a provider or a customer: each is written so that nothing in it can restyle or reorder
// the operator's terminal (terminalName, terminalJson: controls and bidirectional controls escaped).

/** What the import left out and what to do about it (stderr; exit status 3). */
export function conflictMessage(upstream: string, conflicts: readonly ImportConflict[]): string {
  const left = new Set(conflicts.map((c) => c.upstream_id)).size;
  const lines = [
    left === 1
      ? `1 customer of upstream ${upstream} was not imported: a local customer already holds its alias or external_id`
      : `${left} customers of upstream ${upstream} were not imported: a local customer already holds their alias or external_id`,
    ...conflicts.map(
      (c) =>
        `  ${terminalName(c.upstream_id)}: ${c.key} ${terminalJson(c.value)} is local customer ${terminalName(c.local_public_id)} (${terminalName(c.local_id)})${c.reason ? `; not linked: ${terminalName(c.reason)}` : ''}`,
    ),
    // A conflict with a reason cannot be linked (its line says why and what to do): the link is
    // offered only where one could be made.
    ...(conflicts.some((c) => !c.reason)
      ? [
          'Nothing was merged or overwritten. For each: if the two are the same customer, run the import again with --on-conflict link',
          "(the local customer takes the provider's values and is linked to it); if not, change the alias or external_id on one side",
          'and run the import again. Every other customer of the list was imported.',
        ]
      : ['Nothing was merged or overwritten; each line says what can be done. Every other customer of the list was imported.']),
  ];
  return lines.join('\n');
}

/** The customers the import could not store, and what to do about them (stderr; exit status 3). */
export function refusalMessage(upstream: string, refused: readonly ImportRefusal[]): string {
  return [
    refused.length === 1
      ? `1 customer of upstream ${upstream} was not imported: this gateway cannot store it as the provider holds it`
      : `${refused.length} customers of upstream ${upstream} were not imported: this gateway cannot store them as the provider holds them`,
    ...refused.map((r) => `  ${terminalName(r.upstream_id)}: ${terminalName(r.reason)}`),
    'Nothing of them was stored. Correct each at the provider and run the import again (it stores them then); every other customer of the list was imported.',
  ].join('\n');
}

/**
 * The customers the import stored under ids of their own, the provider's being a local customer's
 * (stderr; the exit status is not changed by them: they are imported). A Bigcapital number is
 * said as a number; a `cus_` id or UUID as the ids the customer has here.
 */
export function renumberedMessage(upstream: string, renumbered: readonly ImportRenumbered[]): string {
  const numbers = renumbered.every((r) => /^[0-9]+$/.test(r.upstream_id));
  const what = numbers ? ['number', 'numbers'] : ['id', 'ids'];
  return [
    renumbered.length === 1
      ? `1 customer of upstream ${upstream} has another ${what[0]} here than at the provider: a local customer already held its ${what[0]}`
      : `${renumbered.length} customers of upstream ${upstream} have other ${what[1]} here than at the provider: local customers already held their ${what[1]}`,
    ...renumbered.map((r) =>
      /^[0-9]+$/.test(r.upstream_id)
        ? `  ${r.upstream_id} -> ${r.number}: ${r.local_public_id} (${r.local_id})`
        : `  ${terminalName(r.upstream_id)} -> ${r.local_public_id} (${r.local_id})`,
    ),
    numbers
      ? "Through this gateway each is named by its number here; the provider's number names the local customer that held it."
      : "Through this gateway each is named by its ids here; the provider's id names the local customer that held it.",
  ].join('\n');
}

/** The reconciliation for a person: counts, then each difference (the first 20 of each kind). */
export function summary(r: Reconciliation): string {
  const c = r.counts;
  const lines = [
    `${r.clean ? 'no differences' : 'DIFFERENCES FOUND'}: ${c.local} local customers, ${c.upstream} at upstream ${r.upstream}, ${c.linked} linked`,
    `  missing at the upstream: ${c.missing_upstream}`,
    ...r.missing_upstream.slice(0, 20).map((id) => `    ${terminalName(id)}`),
    `  missing locally: ${c.missing_local}`,
    ...r.missing_local.slice(0, 20).map((id) => `    ${terminalName(id)}`),
    `  customers with differing fields: ${c.differing}`,
  ];
  for (const d of r.differences.slice(0, 20)) {
    for (const f of d.fields)
      lines.push(
        `    ${terminalName(d.customer)} (${terminalName(d.upstream_id)}) ${f.field}: local ${terminalJson(f.local)}, upstream ${terminalJson(f.upstream)}`,
      );
  }
  if (c.refused > 0) {
    lines.push(`  upstream customers this gateway cannot store (not compared): ${c.refused}`);
    lines.push(...r.refused.slice(0, 20).map((x) => `    ${terminalName(x.upstream_id)}: ${terminalName(x.reason)}`));
  }
  return lines.join('\n');
}
