import { GatewayError, isGatewayError } from '../contract/errors.ts';
import type { Logger } from '../logger.ts';
import type { ImportRow, UpstreamRow } from '../store/index.ts';
import { checkNothingUnlinked, claimImport, type ImportDeps, runImport } from './import.ts';
import { heldBy, type LeaseHolder, randomHolder, runningAlready } from './import-lease.ts';
import type { OnConflict } from './import-one.ts';
import { type ImportJobView, importJobView, leftOut } from './import-view.ts';
import { ResumeSlots } from './resume-slots.ts';

// An import started over HTTP (POST /gateway/v1/upstreams/{id}/import) runs the CLI's
// importCustomers (src/upstream/import.ts) after the answer: on Node to the end in the serving
// process's background; on Workers a few pages inside the request's waitUntil, then a few pages on
// each cron run (src/entries/worker.ts) until the list ends. The checkpoint row is the job's state,
// so its progress reads the same wherever it runs, and a job stopped with its process resumes.

/** Pages advanced per Workers invocation (request or cron run), well inside its time limit. */
export const pagesPerRun = 5;

/** Running imports read per query by a sweep or a cron run, which walks them all page by page. */
const sweepPage = 100;

export interface StartImport {
  readonly livemode?: boolean | undefined;
  readonly onConflict?: OnConflict | undefined;
  readonly rate?: number | undefined;
  /** Workers' waitUntil: the job runs a few pages in it and the cron carries on. Absent on Node: it runs to the end. */
  readonly background?: ((job: Promise<unknown>) => void) | undefined;
}

export class ImportJobs {
  readonly #deps: ImportDeps;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #holder: LeaseHolder;
  /**
   * Set at shutdown: each job stops after its current page and releases its claim. A flag, not an
   * AbortController: on Workers this object outlives the request that built it, and workerd
   * refuses any use of an AbortSignal from another request than its own (reading `aborted`
   * threw, so POST …/import answered 500 and cron runs failed the import).
   */
  readonly #stopping = { aborted: false };
  /** Jobs of this process, by upstream id: one process does not start a job it runs already. */
  readonly #running = new Map<string, Promise<unknown>>();
  /** The Node server's sweep in progress (resume), if any. */
  #sweep: Promise<void> | undefined;
  /** The imports the sweep resumed that run now, at most CUSTGATE_IMPORT_RESUMES. */
  readonly #slots: ResumeSlots;

  constructor(
    deps: ImportDeps,
    options: {
      readonly logger: Logger;
      readonly now: () => Date;
      readonly holder?: LeaseHolder | undefined;
      /** Imports the sweep runs at once (CUSTGATE_IMPORT_RESUMES); default 3. */
      readonly resumeLimit?: number | undefined;
    },
  ) {
    this.#deps = deps;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#holder = options.holder ?? randomHolder();
    this.#slots = new ResumeSlots(options.resumeLimit ?? 3);
  }

  /** The sweep's resumed imports running now, and whether it waits for one of them to end (/metrics). */
  get resumes(): { readonly running: number; readonly waiting: boolean } {
    return { running: this.#slots.running, waiting: this.#slots.waiting };
  }

  /** The upstream's import as it stands (undefined: never imported). */
  async status(row: UpstreamRow): Promise<ImportJobView | undefined> {
    const found = await this.#deps.store.imports.find(row.tenant_id, row.id);
    return found && this.#view(found, row);
  }

  /**
   * The checkpoint with what it carries: the conflicts and refusals recorded (a resumed job keeps
   * those it met), the customers linked, and whether anyone holds it: a claim that lapsed, or
   * whose holder this process can tell is gone (killed on this host), is held by nobody.
   */
  async #view(job: ImportRow, row: UpstreamRow): Promise<ImportJobView> {
    const owner = heldBy(job, this.#now());
    const held = owner !== undefined && this.#holder.gone?.(owner) !== true;
    return importJobView(job, await leftOut(this.#deps.store, job, this.#deps.client.dialectOf(row.dialect)), held);
  }

  /** Starts (or resumes) importing; refused with 409 while an import of the upstream runs, here or in another process. */
  async start(row: UpstreamRow, options: StartImport = {}): Promise<ImportJobView> {
    if (this.#stopping.aborted) throw new GatewayError('unavailable', 'The gateway is shutting down; start the import again shortly.');
    const mine = this.#running.get(row.id);
    if (mine) {
      const found = await this.#deps.store.imports.find(row.tenant_id, row.id);
      if (found?.state === 'running') throw runningAlready(row.id, found);
      // Its last checkpoint is written (a client polling GET …/import saw it done or failed) and the
      // job is only leaving: a start now follows it rather than refusing what the client was shown.
      await mine;
    }
    // Opens the upstream first: credentials that cannot be read fail the request, not the job.
    await this.#deps.client.open(row);
    await checkNothingUnlinked(this.#deps.store, row);
    const claimed = await claimImport(this.#deps.store, row, this.#holder, {
      livemode: options.livemode,
      onConflict: options.onConflict,
      at: this.#now(),
      started: { rate: options.rate ?? null, origin: 'http' },
    });
    // Read before the job runs: a resumed job's conflicts and links as it stopped with them (a
    // walk from the first page forgets its conflicts as it starts, and has linked none yet).
    const view = await this.#view(claimed, row);
    const fresh = claimed.next_token === null && Number(claimed.pages) === 0;
    const job = this.#run(row, claimed, { rate: options.rate, maxPages: options.background ? pagesPerRun : undefined });
    options.background?.(job);
    return fresh ? { ...view, conflicts: [], refused: [] } : view;
  }

  /**
   * Workers' cron: advances each running import not started by the CLI by a few pages, oldest
   * first, until the deadline. One the CLI started is left, as the Node server's sweep leaves it:
   * its ^C means stop (a checkpoint from before migration 0059 is carried on, as it was then: only
   * the gateway's API starts an import on D1).
   */
  async advance(deadline: number): Promise<void> {
    for await (const job of this.#allRunning(['http', null])) {
      if (Date.now() >= deadline) return;
      const carried = await this.#carryOn(job, pagesPerRun);
      if (carried) await carried.run;
    }
  }

  /**
   * The Node server's sweep (at start, then every minute): each import started over HTTP that is
   * running with nobody holding it (its gateway was stopped or killed) runs on here to the end,
   * at the rate it was started with. One started by the CLI is left: its ^C means stop.
   */
  resume(): Promise<void> {
    // One sweep at a time; shutdown waits for it, so that a claim it makes is run and released.
    this.#sweep ??= this.#resumeAll().finally(() => {
      this.#sweep = undefined;
    });
    return this.#sweep;
  }

  async #resumeAll(): Promise<void> {
    for await (const job of this.#allRunning(['http'])) {
      if (this.#stopping.aborted) return;
      if (!this.#unheld(job) || this.#running.has(job.upstream_id)) continue;
      // At most CUSTGATE_IMPORT_RESUMES at once: the next waits here, oldest first, for one to end.
      if (!(await this.#slots.free(this.#stopping))) return;
      try {
        // Read again after a wait: it may have been finished or taken meanwhile, and a claim of a
        // finished import would start it over from the first page.
        const now = await this.#deps.store.imports.find(job.tenant_id, job.upstream_id);
        if (now?.state !== 'running' || !this.#unheld(now)) continue;
        // Claimed, then run in the background (stop() waits for it): the sweep goes on to the
        // next at once, so the imports a gateway left run side by side again, up to the cap.
        const carried = await this.#carryOn(now, undefined);
        if (carried) this.#slots.hold(carried.run);
      } catch (error) {
        // One upstream that cannot be opened (its credentials) does not stop the others'.
        this.#logger.error('import_resume_failed', {
          upstream: job.upstream_id,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** Whether nobody holds the import: its claim lapsed, or its holder is known to be gone. */
  #unheld(job: ImportRow): boolean {
    const owner = heldBy(job, this.#now());
    return owner === undefined || this.#holder.gone?.(owner) === true;
  }

  /**
   * Every running import of these origins, oldest first, a page at a time: a page of imports held
   * elsewhere does not hide those after it. Each once: one run here moves to the end of the list.
   */
  async *#allRunning(origins: readonly (string | null)[]): AsyncGenerator<ImportRow> {
    const met = new Set<string>();
    let after: ImportRow | undefined;
    for (;;) {
      const page = await this.#deps.store.imports.running({ limit: sweepPage, origins, after });
      for (const job of page) {
        if (met.has(job.upstream_id)) continue;
        met.add(job.upstream_id);
        yield job;
      }
      if (page.length < sweepPage) return;
      after = page[page.length - 1];
    }
  }

  /**
   * Claims a running import and starts running it on, as it was started (its on_conflict, rate and
   * origin): `run` settles when it stops. Undefined: run here already, taken by another process,
   * or its upstream was removed (failed then). The run is wrapped: an async function returning it
   * bare would wait for it (a returned promise is adopted), and a sweep with it, to the end.
   */
  async #carryOn(job: ImportRow, maxPages: number | undefined): Promise<{ readonly run: Promise<unknown> } | undefined> {
    if (this.#running.has(job.upstream_id)) return undefined;
    const row = await this.#deps.store.upstreams.find(job.tenant_id, job.upstream_id);
    const at = this.#now();
    if (!row) {
      if (heldBy(job, at) === undefined) {
        await this.#deps.store.imports.claim(
          {
            ...job,
            state: 'failed',
            last_error: 'The upstream was removed.',
            lease_owner: null,
            lease_until: null,
            updated_at: at.toISOString(),
          },
          job,
          at.toISOString(),
        );
      }
      return undefined;
    }
    const rate = job.rate === null ? null : Number(job.rate);
    let claimed: ImportRow;
    try {
      claimed = await claimImport(this.#deps.store, row, this.#holder, {
        at,
        onConflict: job.on_conflict === 'link' ? 'link' : 'report',
        started: { rate, origin: job.origin === 'http' ? 'http' : job.origin === 'cli' ? 'cli' : null },
      });
    } catch (error) {
      if (isGatewayError(error) && error.code === 'conflict') return undefined; // another process runs it
      throw error;
    }
    return { run: this.#run(row, claimed, { rate: rate ?? undefined, maxPages }) };
  }

  /** Shutdown: every job of this process stops after its current page and releases its claim. */
  async stop(): Promise<void> {
    this.#stopping.aborted = true;
    this.#slots.wake();
    await this.#sweep?.catch(() => undefined);
    await Promise.all(this.#running.values());
  }

  #run(row: UpstreamRow, claimed: ImportRow, options: { rate?: number | undefined; maxPages?: number | undefined }) {
    // A failure is in the checkpoint (state failed, last_error) for GET …/import; the log gets its message only.
    const job = runImport(this.#deps, row, claimed, this.#holder.id, { ...options, signal: this.#stopping, now: this.#now })
      .catch((error: unknown) => {
        this.#logger.error('import_failed', { upstream: row.id, message: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => this.#running.delete(row.id));
    this.#running.set(row.id, job);
    return job;
  }
}
