import type { AnyDialect } from '../contract/dialect.ts';
import type { ImportRow, RenumberedRow } from '../store/index.ts';
import { type ImportDeps, type ImportProgress, progressOf } from './import.ts';
import { conflictView, type ImportConflict, type ImportRefusal, type OnConflict, refusalView } from './import-one.ts';
import { adoptedIds } from './provider-state.ts';

// An import's state as GET /gateway/v1/upstreams/{id}/import and `custgate upstream import` show
// it (import-job.ts runs it): its checkpoint, with what it created, linked, left out and stored
// under other ids than the provider's, read from the store over every run of it.

export interface ImportJobView extends ImportProgress {
  readonly livemode: boolean;
  readonly on_conflict: OnConflict;
  /** Local customers linked to the provider's by this import (`on_conflict` link); not counted in `imported`. */
  readonly linked: number;
  /** The provider customers left out because a local customer holds their alias or external_id. */
  readonly conflicts: readonly ImportConflict[];
  /** The provider customers left out because this gateway cannot store them as the provider holds them. */
  readonly refused: readonly ImportRefusal[];
  /**
   * The provider customers stored under other ids than the provider's: a local customer held theirs
   * (a Bigcapital number; a `cus_` id or a UUID, the same customer imported before through another
   * upstream of the tenant, say). Over every run of the import.
   */
  readonly renumbered: readonly ImportRenumbered[];
  /**
   * Whether a process (or Worker isolate) is carrying the import now: a `running` import nobody
   * holds (released between Workers cron runs, or its process died and its claim lapsed) resumes
   * where it stopped on the next cron run on Workers, or within a minute on a Node gateway (one
   * started over HTTP; one started by the CLI on the next start of it).
   */
  readonly held: boolean;
  /** Until when its holder's claim lasts unless renewed (each page renews it); null when none was left. */
  readonly held_until: string | null;
  readonly started_at: string;
  readonly updated_at: string;
}

export interface LeftOut {
  /** Customers the import created here, over every run of it (ImportRepository.created). */
  readonly imported: number;
  readonly conflicts: readonly ImportConflict[];
  readonly refused: readonly ImportRefusal[];
  readonly renumbered: readonly ImportRenumbered[];
  readonly linked: number;
}

/**
 * A provider customer the import stored under ids of its own: the provider's id was a local
 * customer's already (docs/migrating.md), so a client of the gateway names this customer by
 * `number` (Bigcapital) or `local_public_id` / `local_id`, and the provider's id there names the
 * local customer that holds it.
 */
export interface ImportRenumbered {
  /** The customer's id at the provider (a number for Bigcapital). */
  readonly upstream_id: string;
  /** Its number here, the id Bigcapital clients of the gateway see. */
  readonly number: number;
  /** The customer here: its UUID and its public id. */
  readonly local_id: string;
  readonly local_public_id: string;
}

const renumberedView = (row: RenumberedRow): ImportRenumbered => ({
  upstream_id: row.remote_id,
  number: Number(row.number),
  local_id: row.customer_id,
  local_public_id: row.public_id,
});

/** Whether the upstream's ids are numbers, which the import's copies take while no local customer holds them (Bigcapital). */
const numberedIds = (dialect: Pick<AnyDialect, 'ids'>): boolean => dialect.ids[0] === 'number';

/**
 * Whether the import's copy did not get the provider's id: its number (`numbers`), or the `cus_`
 * id or UUID a copy takes while no local customer of the tenant holds it (adoptedIds). A provider
 * id of no such shape was never to be kept, and is not named.
 */
function notKept(row: RenumberedRow, numbers: boolean): boolean {
  const ids = adoptedIds(row.remote_id);
  if (ids?.public_id !== undefined) return row.public_id !== ids.public_id;
  if (ids?.uuid !== undefined) return row.customer_id !== ids.uuid;
  return numbers && String(row.number) !== row.remote_id;
}

export const importJobView = (row: ImportRow, left: LeftOut, held: boolean): ImportJobView => ({
  ...progressOf(row),
  imported: left.imported,
  livemode: Number(row.livemode) === 1,
  on_conflict: row.on_conflict === 'link' ? 'link' : 'report',
  linked: left.linked,
  conflicts: left.conflicts,
  refused: left.refused,
  renumbered: left.renumbered,
  held,
  held_until: row.state === 'running' ? row.lease_until : null,
  started_at: row.started_at,
  updated_at: row.updated_at,
});

/**
 * What an import created, what it left out (conflicts, customers it cannot store), what it stored
 * under other ids than the provider's (its number when the upstream's `dialect` has numbers for
 * ids; a `cus_` id or UUID a local customer held) and the local customers it linked.
 */
export async function leftOut(store: ImportDeps['store'], row: ImportRow, dialect: Pick<AnyDialect, 'ids'>): Promise<LeftOut> {
  const { imports } = store;
  // An import begun before links were marked counts by its checkpoints alone: the larger one holds.
  const created = await imports.created(row.tenant_id, row.upstream_id, row.started_at);
  const numbers = numberedIds(dialect);
  const renumbered = await imports.renumbered(row.tenant_id, row.upstream_id, row.started_at, numbers);
  return {
    imported: Math.max(Number(row.imported), created),
    conflicts: (await imports.conflicts(row.tenant_id, row.upstream_id)).map(conflictView),
    refused: (await imports.refusals(row.tenant_id, row.upstream_id)).map(refusalView),
    renumbered: renumbered.filter((r) => notKept(r, numbers)).map(renumberedView),
    linked: await imports.linked(row.tenant_id, row.upstream_id, row.started_at),
  };
}
