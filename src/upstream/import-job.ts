import { GatewayError } from '../contract/errors.ts';
import type { Logger } from '../logger.ts';
import type { ImportRow, UpstreamRow } from '../store/index.ts';
import { checkpointFrom, type ImportDeps, type ImportProgress, importCustomers, progressOf } from './import.ts';

// An import started over HTTP (POST /gateway/v1/upstreams/{id}/import) runs the CLI's
// importCustomers (src/upstream/import.ts) after the answer: on Node to the end in the serving
// process's background; on Workers a few pages inside the request's waitUntil, then a few pages on
// each cron run (src/entries/worker.ts) until the list ends. The checkpoint row is the job's state,
// so its progress reads the same wherever it runs, and a job stopped with its process resumes.

/**
 * A running import whose checkpoint is older than this is taken for stopped (its process was
 * killed) and may be started again, resuming. Longer than the longest wait for one page
 * (a provider's Retry-After is capped at two minutes).
 */
export const importLeaseMs = 5 * 60_000;

/** Pages advanced per Workers invocation (request or cron run), well inside its time limit. */
export const pagesPerRun = 5;

export interface ImportJobView extends ImportProgress {
  readonly livemode: boolean;
  readonly started_at: string;
  readonly updated_at: string;
}

export const importJobView = (row: ImportRow): ImportJobView => ({
  ...progressOf(row),
  livemode: Number(row.livemode) === 1,
  started_at: row.started_at,
  updated_at: row.updated_at,
});

export interface StartImport {
  readonly livemode?: boolean | undefined;
  readonly rate?: number | undefined;
  /** Workers' waitUntil: the job runs a few pages in it and the cron carries on. Absent on Node: it runs to the end. */
  readonly background?: ((job: Promise<unknown>) => void) | undefined;
}

export class ImportJobs {
  readonly #deps: ImportDeps;
  readonly #logger: Logger;
  readonly #now: () => Date;
  /** Jobs of this process, by upstream id: the check before the store's, which another process's job passes. */
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(deps: ImportDeps, options: { readonly logger: Logger; readonly now: () => Date }) {
    this.#deps = deps;
    this.#logger = options.logger;
    this.#now = options.now;
  }

  /** The upstream's import as it stands (undefined: never imported). */
  async status(row: UpstreamRow): Promise<ImportJobView | undefined> {
    const found = await this.#deps.store.imports.find(row.tenant_id, row.id);
    return found ? importJobView(found) : undefined;
  }

  /** Starts (or resumes) importing; refused with 409 while an import of the upstream is running. */
  async start(row: UpstreamRow, options: StartImport = {}): Promise<ImportJobView> {
    const previous = await this.#deps.store.imports.find(row.tenant_id, row.id);
    const now = this.#now();
    const live = previous?.state === 'running' && now.getTime() - Date.parse(previous.updated_at) < importLeaseMs;
    if (this.#running.has(row.id) || (previous && live)) {
      const at = previous ? ` (${previous.pages} pages, ${previous.seen} customers so far)` : '';
      throw new GatewayError(
        'conflict',
        `An import from upstream ${row.id} is running already${at}: GET /gateway/v1/upstreams/${row.id}/import shows its progress.`,
      );
    }
    // Opens the upstream first: credentials that cannot be read fail the request, not the job.
    await this.#deps.client.open(row);
    const claimed = checkpointFrom(previous, row, options.livemode, now);
    await this.#deps.store.imports.save(claimed);
    const job = this.#run(row, {
      rate: options.rate,
      livemode: options.livemode,
      maxPages: options.background ? pagesPerRun : undefined,
    });
    options.background?.(job);
    return importJobView(claimed);
  }

  /** Workers' cron: advances each running import by a few pages, oldest first, until the deadline. */
  async advance(deadline: number): Promise<void> {
    for (const job of await this.#deps.store.imports.running(20)) {
      if (Date.now() >= deadline) return;
      if (this.#running.has(job.upstream_id)) continue;
      const row = await this.#deps.store.upstreams.find(job.tenant_id, job.upstream_id);
      if (!row) {
        const at = this.#now().toISOString();
        await this.#deps.store.imports.save({ ...job, state: 'failed', last_error: 'The upstream was removed.', updated_at: at });
        continue;
      }
      await this.#run(row, { maxPages: pagesPerRun });
    }
  }

  #run(row: UpstreamRow, options: { rate?: number | undefined; livemode?: boolean | undefined; maxPages?: number | undefined }) {
    // A failure is in the checkpoint (state failed, last_error) for GET …/import; the log gets its message only.
    const job = importCustomers(this.#deps, row, { ...options, now: this.#now })
      .catch((error: unknown) => {
        this.#logger.error('import_failed', { upstream: row.id, message: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => this.#running.delete(row.id));
    this.#running.set(row.id, job);
    return job;
  }
}
