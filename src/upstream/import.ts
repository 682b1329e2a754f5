import type { CustomerService } from '../core/index.ts';
import { GatewayError } from '../contract/errors.ts';
import type { ImportRefusalRow, ImportRow, Store, UpstreamRow } from '../store/index.ts';
import type { UpstreamClient } from './client.ts';
import type { ListedPage } from './listed-page.ts';
import { heldBy, type LeaseHolder, LeaseLost, leaseUntil, randomHolder, runningAlready } from './import-lease.ts';
import { importOne, type OnConflict } from './import-one.ts';
import { anchorColumns, anchorIn, PagedWalk } from './list-shift.ts';
import { checkedPage, sleepFor } from './list-pages.ts';

// `custgate upstream import` (#27): walks an upstream's customer list with its client half and
// stores and links every customer not linked yet, as a proxy does on first reference
// (src/upstream/proxy.ts). Each customer is created together with its link in one atomic unit, so
// a customer is never stored twice: a re-run (or a resumed run) skips what is linked. A checkpoint
// after each page (table upstream_imports) lets a killed import continue at the page it stopped in.
// A list paged by position (Meteroid, Bigcapital) moves under a create or delete while it is walked:
// each page is checked against the one before, read again (list-shift.ts), so none is skipped.

export interface ImportProgress {
  readonly upstream: string;
  readonly state: 'running' | 'done' | 'failed';
  readonly pages: number;
  /** Customers read from the upstream so far. */
  readonly seen: number;
  /** Of them, stored (created here) and linked by this import; the others were linked already, left out, or linked to a local customer (`linked` in the job's view). */
  readonly imported: number;
  readonly error?: string | undefined;
}

export interface ImportOptions {
  /** Most customers stored per second (undefined: as fast as the store takes them). */
  readonly rate?: number | undefined;
  /** Stops after this many pages (the Workers cron advances an import a few pages per run). */
  readonly maxPages?: number | undefined;
  /** Called after each page's checkpoint. */
  readonly onPage?: ((progress: ImportProgress) => void) | undefined;
  /** Whose customers the imported ones are: test or live keys (default: a resumed import's, else test). */
  readonly livemode?: boolean | undefined;
  /** A customer whose alias or external_id a local customer holds: named and left out (default), or linked to it. */
  readonly onConflict?: OnConflict | undefined;
  /** Aborted: stops after the current page and releases the claim (a shutdown). Only `aborted` is read. */
  readonly signal?: { readonly aborted: boolean } | undefined;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ImportDeps {
  readonly store: Store;
  readonly service: CustomerService;
  readonly client: UpstreamClient;
  /** CUSTGATE_MAX_CUSTOMER_BYTES: a provider customer larger is named, not stored (list-pages.ts notStorable). */
  readonly maxCustomerBytes?: number | undefined;
}

/** Customers of a page stored at once (a page is at most 100 in every dialect's list). */
const concurrency = 50;

/**
 * Where an import (re)starts: a stopped or failed one where it stopped, keeping whose keys its
 * customers belong to; a finished one (or none) from the first page, since customers created at
 * the provider since are linked and the rest skipped. A resumed import that stored customers is
 * not switched to the other mode's keys (409): its book would be split between test and live.
 */
/**
 * Who started (or last resumed by hand) an import and at what rate: a gateway resumes one started
 * over HTTP ('http') at that rate, not one started by the CLI ('cli', whose ^C means stop).
 */
export interface StartedBy {
  readonly rate: number | null;
  readonly origin: 'http' | 'cli' | null;
}

export function checkpointFrom(
  previous: ImportRow | undefined,
  row: UpstreamRow,
  livemode: boolean | undefined,
  at: Date,
  onConflict: OnConflict = 'report',
  started: StartedBy = { rate: null, origin: null },
): ImportRow {
  if (previous && previous.state !== 'done') {
    const was = Number(previous.livemode) === 1;
    if (livemode !== undefined && livemode !== was && Number(previous.imported) > 0) {
      const mode = (live: boolean) => (live ? 'live' : 'test');
      throw new GatewayError(
        'conflict',
        `The import from upstream ${row.id} stopped after page ${previous.pages} with ${previous.imported} customers stored for the ${mode(was)} keys; resume it with a ${mode(was)} key (CLI: ${was ? '--live' : 'without --live'}), so that its customers are not split between test and live.`,
        { field: 'livemode' },
      );
    }
    return {
      ...previous,
      state: 'running',
      last_error: null,
      livemode: livemode === undefined ? Number(previous.livemode) : Number(livemode),
      on_conflict: onConflict,
      ...started,
      updated_at: at.toISOString(),
    };
  }
  return {
    upstream_id: row.id,
    tenant_id: row.tenant_id,
    state: 'running',
    next_token: null,
    pages: 0,
    seen: 0,
    imported: 0,
    last_error: null,
    started_at: at.toISOString(),
    updated_at: at.toISOString(),
    livemode: Number(livemode === true),
    lease_owner: null,
    lease_until: null,
    on_conflict: onConflict,
    anchor_token: null,
    anchor_last: null,
    anchor_total: null,
    ...started,
  };
}

export const progressOf = (row: ImportRow): ImportProgress => ({
  upstream: row.upstream_id,
  state: row.state as ImportProgress['state'],
  pages: Number(row.pages),
  seen: Number(row.seen),
  imported: Number(row.imported),
  ...(row.last_error ? { error: row.last_error } : {}),
});

/**
 * Claims the upstream's import for `holder` (one conditional write, src/store/imports.ts): the
 * checkpoint to run from. Refused (409 conflict) while another holder runs it; a holder known to
 * be gone is taken over at once, any other once its lease lapses.
 */
export async function claimImport(
  store: Store,
  row: UpstreamRow,
  holder: LeaseHolder,
  options: {
    readonly livemode?: boolean | undefined;
    readonly onConflict?: OnConflict | undefined;
    readonly at: Date;
    readonly started?: StartedBy | undefined;
  },
): Promise<ImportRow> {
  const previous = await store.imports.find(row.tenant_id, row.id);
  const held = heldBy(previous, options.at);
  const takeFrom = held !== undefined && holder.gone?.(held) === true ? held : undefined;
  if (held !== undefined && takeFrom === undefined) throw runningAlready(row.id, previous);
  const claimed = {
    ...checkpointFrom(previous, row, options.livemode, options.at, options.onConflict, options.started),
    lease_owner: holder.id,
    lease_until: leaseUntil(options.at),
  };
  if (!(await store.imports.claim(claimed, previous, options.at.toISOString(), takeFrom))) {
    throw runningAlready(row.id, await store.imports.find(row.tenant_id, row.id));
  }
  return claimed;
}

/**
 * An import cannot tell a customer made at the provider from one this gateway sent it and has not
 * linked yet: a create whose answer was lost (a delivery still pending or dead, a proxied create
 * recorded in create_attempts) is already a local customer, and importing it would store it a
 * second time. Refused (409) until those are settled; a run already going is not stopped.
 */
export async function checkNothingUnlinked(store: Store, row: UpstreamRow): Promise<void> {
  const { pending, dead } = await store.outbox.counts(row.tenant_id, row.id);
  const attempts = (await store.attempts.list(row.tenant_id, row.id, 1)).length;
  if (pending + dead + attempts === 0) return;
  const waiting = [
    ...(pending + dead > 0 ? [`${pending} pending and ${dead} dead deliveries to it (custgate outbox list)`] : []),
    ...(attempts > 0 ? ['creates sent to it without a stored answer (custgate upstream attempts)'] : []),
  ];
  throw new GatewayError(
    'conflict',
    `Upstream ${row.id} cannot be imported now: ${waiting.join('; ')}. A customer they created there is a local customer already, which an import would store again; import once they are delivered or cleared.`,
    { field: 'upstream' },
  );
}

/** Claims the import for `options.holder` (a fresh one by default) and runs it: the CLI's import. */
export async function importCustomers(
  deps: ImportDeps,
  row: UpstreamRow,
  options: ImportOptions & { readonly holder?: LeaseHolder } = {},
): Promise<ImportProgress> {
  const now = options.now ?? (() => new Date());
  await deps.client.open(row);
  await checkNothingUnlinked(deps.store, row);
  const holder = options.holder ?? randomHolder();
  const claimed = await claimImport(deps.store, row, holder, {
    livemode: options.livemode,
    onConflict: options.onConflict,
    at: now(),
    started: { rate: options.rate ?? null, origin: 'cli' },
  });
  return runImport(deps, row, claimed, holder.id, options);
}

/**
 * Runs a claimed import from its checkpoint. Resolves with the progress when the list ends, or
 * when `maxPages` is reached or `signal` aborts (after the current page: the claim is released
 * then, so the next start resumes at once); on a failure the checkpoint records it and the error
 * is thrown (a re-run resumes at the page that failed).
 */
export async function runImport(
  deps: ImportDeps,
  row: UpstreamRow,
  claimed: ImportRow,
  owner: string,
  options: ImportOptions = {},
): Promise<ImportProgress> {
  const now = options.now ?? (() => new Date());
  const pause = options.sleep ?? sleepFor;
  const upstream = await deps.client.open(row);
  let checkpoint = claimed;
  const save = async (next: ImportRow) => {
    if (!(await deps.store.imports.save(next, owner))) throw new LeaseLost(row.id);
    checkpoint = next;
  };
  // A wait (a Retry-After, the rate) renews the claim first, to outlast the wait.
  const sleep = async (ms: number) => {
    await save({ ...checkpoint, lease_until: leaseUntil(now(), ms), updated_at: now().toISOString() });
    await pause(ms);
  };
  const started = Date.now();
  let stored = 0;
  const onConflict: OnConflict = checkpoint.on_conflict === 'link' ? 'link' : 'report';
  // The conflicts recorded are those of the current walk of the list: a walk from its first page
  // forgets the last one's (resolved ones are not met again), a resumed walk keeps them, and the
  // page it resumes at (read before, when it stopped) is recorded afresh.
  let readBefore = checkpoint.next_token !== null || Number(checkpoint.pages) > 0;
  if (!readBefore) await deps.store.imports.clearLeftOut(row.tenant_id, row.id);
  const slice = options.rate !== undefined && options.rate > 0 ? Math.max(1, Math.min(concurrency, Math.floor(options.rate))) : concurrency;
  /** Stores and links the customers not linked yet; how many it stored (a local customer linked is not counted: ImportRepository.linked). */
  const storeAll = async (page: ListedPage): Promise<number> => {
    let imported = 0;
    // A customer this gateway cannot store as the provider holds it is left out and named; the
    // page's others are stored (one bad record must not hold the whole book back).
    const refusedRow = (id: string, reason: string): ImportRefusalRow => ({
      upstream_id: row.id,
      remote_id: id,
      tenant_id: row.tenant_id,
      reason,
      found_at: now().toISOString(),
    });
    await deps.store.imports.addRefusals([...page.refused].map(([id, reason]) => refusedRow(id, reason)));
    const customers = page.customers.filter((c) => !page.refused.has(c.id));
    // The source upstream gets no delivery of what it just gave; the tenant's other mirrors do.
    const others = (await deps.store.upstreams.list(row.tenant_id)).filter((u) => u.id !== row.id);
    // A slice of the page is stored at once: its creates share the store's group commit (one
    // fsync for the slice on SQLite, src/store/sqlite-writer.js) where one at a time paid one
    // each. Every create is settled before a failure is reported, so the checkpoint written then
    // follows every write; a re-run skips what was linked.
    const run = { livemode: Number(checkpoint.livemode) === 1, onConflict, startedAt: checkpoint.started_at };
    for (let from = 0; from < customers.length; from += slice) {
      const part = customers.slice(from, from + slice);
      const settled = await Promise.allSettled(part.map((customer) => importOne(deps, upstream, others, customer, run)));
      // A conflict is recorded and the import goes on past it (import-one.ts).
      await deps.store.imports.addConflicts(
        settled.flatMap((r) => (r.status === 'fulfilled' && r.value.kind === 'conflict' ? r.value.rows : [])),
      );
      await deps.store.imports.addRefusals(
        settled.flatMap((r, i) =>
          r.status === 'fulfilled' && r.value.kind === 'refused' ? [refusedRow(part[i]!.id, r.value.reason)] : [],
        ),
      );
      for (const result of settled) {
        if (result.status === 'rejected') throw result.reason;
        if (result.value.kind === 'imported') imported++;
      }
      stored += part.length;
      if (options.rate !== undefined && options.rate > 0) {
        const due = started + (stored / options.rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    }
    return imported;
  };
  try {
    const walk = new PagedWalk((token) => checkedPage(deps.client, upstream, token, sleep, deps.maxCustomerBytes), {
      token: checkpoint.next_token ?? undefined,
      anchor: anchorIn(checkpoint),
    });
    for (let pages = 0; ; pages++) {
      if ((options.maxPages !== undefined && pages >= options.maxPages) || options.signal?.aborted === true) {
        await save({ ...checkpoint, lease_owner: null, lease_until: null, updated_at: now().toISOString() });
        break;
      }
      const step = await walk.next();
      if (readBefore) {
        await deps.store.imports.clearLeftOut(
          row.tenant_id,
          row.id,
          step.read.customers.map((c) => c.id),
        );
        readBefore = false;
      }
      if (step.kind === 'lost') {
        // Moved by more than a page, or the anchor customer is gone: the walk starts again from
        // the first page; what it stored is skipped as linked.
        await save({ ...checkpoint, next_token: null, ...anchorColumns(undefined), updated_at: now().toISOString() });
        continue;
      }
      const imported = await storeAll(step.page);
      if (step.kind === 'moved') {
        // What moved onto the page before is stored; the same page is read again next.
        await save({
          ...checkpoint,
          imported: Number(checkpoint.imported) + imported,
          ...anchorColumns(walk.anchor),
          updated_at: now().toISOString(),
        });
        continue;
      }
      const last = walk.done;
      await save({
        ...checkpoint,
        next_token: walk.token ?? null,
        state: last ? 'done' : 'running',
        pages: Number(checkpoint.pages) + 1,
        seen: Number(checkpoint.seen) + step.page.customers.length,
        imported: Number(checkpoint.imported) + imported,
        lease_owner: last ? null : owner,
        lease_until: last ? null : leaseUntil(now()),
        ...anchorColumns(walk.anchor),
        updated_at: now().toISOString(),
      });
      options.onPage?.(progressOf(checkpoint));
      if (last) break;
    }
  } catch (error) {
    if (error instanceof LeaseLost) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await deps.store.imports.save(
      { ...checkpoint, state: 'failed', last_error: message, lease_owner: null, lease_until: null, updated_at: now().toISOString() },
      owner,
    );
    throw error;
  }
  return progressOf(checkpoint);
}
