import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { conflictMessage, refusalMessage, renumberedMessage, summary } from './book-messages.ts';
import { csvField, csvSpool } from './csv-spool.ts';
import { printJson } from './output.ts';
import { type Env, tenantId, withStore } from './with-store.ts';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { DialectSource } from '../contract/registry.ts';
import { CustomerService } from '../core/index.ts';
import { backfill } from '../outbox/backfill.ts';
import { reconcile } from '../outbox/reconcile.ts';
import { upstreamsOf } from '../outbox/upstream-port.ts';
import type { Store, UpstreamRow } from '../store/index.ts';
import { UpstreamClient } from '../upstream/client.ts';
import { type ImportProgress, importCustomers } from '../upstream/import.ts';
import { leftOut } from '../upstream/import-view.ts';
import { minRate } from '../upstream/import-lease.ts';
import { type OnConflict, onConflictChoices } from '../upstream/import-one.ts';
import { gatewayIdOf } from '../upstream/loop.ts';
import { transportFor } from '../upstream/node-transport.ts';
import { processHolder } from '../upstream/process-holder.ts';
import { keyringFor } from '../upstream/secrets.ts';

// `custgate upstream import|backfill|reconcile`: moving a whole customer book between providers
// (docs/migrating.md). Progress goes to stderr (a bar on a terminal), results to stdout.

/** The tenant's upstream by id, or an error naming what is there. */
export async function upstreamOf(store: Store, tenant: string, id: string): Promise<UpstreamRow> {
  const tenantRef = await tenantId(store, tenant);
  const row = await store.upstreams.find(tenantRef, id);
  if (row) return row;
  const ids = (await store.upstreams.list(tenantRef)).map((u) => u.id);
  throw new Error(`no upstream ${id} for tenant ${tenant}${ids.length > 0 ? ` (its upstreams: ${ids.join(', ')})` : ' (it has none)'}`);
}

/** What a migration command needs beside the store: the local writes and the upstream calls. */
export function bookDeps(store: Store, env: Env, dialects: readonly AnyDialect[]) {
  const config = loadConfig(env);
  const keyring = keyringFor(config, store.upstreams);
  // The server's transport (CUSTGATE_UPSTREAM_TRANSPORT): its socket cap and its retry of a kept
  // connection the provider closed, which a long import's pages otherwise meet as a failed page.
  const transport = transportFor(config.upstreamTransport);
  const client = new UpstreamClient({
    dialects,
    keyring,
    gatewayId: gatewayIdOf(store.upstreams),
    timeoutMs: config.upstreamTimeoutMs,
    maxAnswerBytes: config.upstreamMaxAnswerBytes,
    upstreams: store.upstreams,
    ...(transport ? { transport } : {}),
  });
  const service = new CustomerService(store, {
    now: () => new Date(),
    maxAttempts: 16,
    writeWaitMs: config.writeWaitMs,
    maxCustomerBytes: config.maxCustomerBytes,
    replicas: upstreamsOf(store, { dialects, keyring, timeoutMs: config.upstreamTimeoutMs }).replicas,
  });
  return { store, service, client, maxCustomerBytes: config.maxCustomerBytes };
}

/** A running count on stderr when it is a terminal (the total of a provider's list is not known ahead). */
function counter(label: string): { update(p: ImportProgress): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} {value} customers | {imported} new | {pages} pages | {duration_formatted}`,
    hideCursor: true,
  });
  bar.start(0, 0, { imported: 0, pages: 0 });
  return {
    update: (p) => bar.update(p.seen, { imported: p.imported, pages: p.pages }),
    stop: () => bar.stop(),
  };
}

const rateOption = (value: string): number => {
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate < minRate) throw new Error(`--rate must be a number per second, at least ${minRate}, not ${value}`);
  return rate;
};

/**
 * The dialects an import or reconciliation of `row` calls: its own, and those of the tenant's
 * other upstreams, which the local writes it makes are delivered to.
 */
async function dialectsFor(store: Store, source: DialectSource, row: UpstreamRow): Promise<AnyDialect[]> {
  return source.load([row.dialect, ...(await store.upstreams.list(row.tenant_id)).map((u) => u.dialect)]);
}

export function bookCommands(upstream: Command, env: Env, source: DialectSource): void {
  upstream
    .command('import <tenant> <upstream-id>')
    .description("store and link every customer of the upstream's list not linked yet (resumes where a stopped import left off)")
    .option('--rate <n>', 'at most n customers per second', rateOption)
    .option('--live', "the imported customers belong to the tenant's live keys (default: test keys)")
    .option(
      '--on-conflict <what>',
      "a provider customer whose alias or external_id a local customer holds: report (leave it out, name it, exit 3) or link (they are the same customer: the local one takes the provider's values and is linked to it)",
      onConflictOption,
      'report',
    )
    .option('--json', 'print the result as JSON')
    .action(async (tenant: string, id: string, opts: { rate?: number; live?: boolean; onConflict: OnConflict; json?: boolean }) => {
      const bar = opts.json ? { update: () => undefined, stop: () => undefined } : counter('import');
      // Ctrl-C or SIGTERM: stop after the current page and release the import, so the next run resumes at once.
      const stopping = new AbortController();
      const stop = () => stopping.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const done = await withStore(env, async (store) => {
        const row = await upstreamOf(store, tenant, id);
        try {
          const deps = bookDeps(store, env, await dialectsFor(store, source, row));
          const progress = await importCustomers(deps, row, {
            rate: opts.rate,
            livemode: opts.live === true ? true : undefined,
            onConflict: opts.onConflict,
            onPage: bar.update,
            holder: processHolder(),
            signal: stopping.signal,
          });
          const checkpoint = await store.imports.find(row.tenant_id, row.id);
          const left = checkpoint
            ? await leftOut(store, checkpoint, deps.client.dialectOf(row.dialect))
            : { imported: progress.imported, linked: 0, conflicts: [], refused: [], renumbered: [] };
          return { ...progress, ...left };
        } catch (error) {
          throw await withResumeHint(store, row, error);
        } finally {
          bar.stop();
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      });
      if (done.state === 'running') {
        // Stopped by a signal: the import is not finished, which a script must see.
        process.exitCode = 130;
        console.error(`stopped after page ${done.pages} (${done.seen} customers read); run the same command again to resume`);
      }
      const left = new Set(done.conflicts.map((c) => c.upstream_id)).size;
      const refused = done.refused.length;
      if (opts.json) printJson(done);
      else
        console.log(
          `imported ${done.imported} customers from upstream ${done.upstream} (${done.seen} listed, ${done.seen - done.imported - done.linked - left - refused} linked already, ${done.linked} local customers linked to theirs, ${left} left out for conflicts, ${refused} left out as not storable here, ${done.pages} pages)`,
        );
      // Stored, so no failure: said whatever the exit status, since the team's provider number does not name it here.
      if (done.renumbered.length > 0) console.error(renumberedMessage(done.upstream, done.renumbered));
      if ((left > 0 || refused > 0) && done.state === 'done') {
        // Not a failure to run (1) nor a stop (130): the book is walked, some customers are not in it.
        process.exitCode = 3;
        if (left > 0) console.error(conflictMessage(done.upstream, done.conflicts));
        if (refused > 0) console.error(refusalMessage(done.upstream, done.refused));
      }
    });
  upstream
    .command('backfill <tenant> <upstream-id>')
    .description('queue a create in the outbox for every local customer a mirror or shadow upstream has no link for')
    .option('--rate <n>', 'at most n deliveries queued per second (default 500)', rateOption)
    .option('--json', 'print the result as JSON')
    .action(async (tenant: string, id: string, opts: { rate?: number; json?: boolean }) => {
      const done = await withStore(env, async (store) => backfill(store, await upstreamOf(store, tenant, id), { rate: opts.rate }));
      console.log(
        opts.json
          ? JSON.stringify(done)
          : `queued ${done.queued} creates for upstream ${done.upstream} (${done.skipped} customers linked or in line already); a running gateway delivers them`,
      );
    });
  upstream
    .command('reconcile <tenant> <upstream-id>')
    .description(
      'compare the upstream with the local store: counts, customers missing on either side, field differences; exit 0 when nothing differs, 1 when something does, 2 when it could not compare',
    )
    .option('--json', 'print the whole result as JSON')
    .option('--ids', 'print the id map as CSV (local_id,upstream_id) instead')
    .action(async (tenant: string, id: string, opts: { json?: boolean; ids?: boolean }) => {
      // The id map is written as it is found, so a book of any size is held in bounded memory; to a
      // file first, printed whole only once the reconciliation completed: a failure prints none.
      const csv = opts.ids ? await csvSpool('local_id,upstream_id') : undefined;
      // As diff(1): 1 says the two books differ, so a failure to compare them (the provider
      // unreachable, no such upstream) must not read as that: 2, with no report.
      const result = await withStore(env, async (store) => {
        const row = await upstreamOf(store, tenant, id);
        return reconcile(
          bookDeps(store, env, await dialectsFor(store, source, row)),
          row,
          csv ? { onLinked: (l, u) => csv.write(`${csvField(l)},${csvField(u)}`) } : {},
        );
      }).catch((error: unknown) => {
        console.error(`custgate: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 2;
        return undefined;
      });
      if (!result) {
        await csv?.discard();
        return;
      }
      await csv?.print();
      if (!result.clean) process.exitCode = 1;
      if (opts.json) printJson(result);
      else if (!opts.ids) console.log(summary(result));
    });
}

const onConflictOption = (value: string): OnConflict => {
  if (!onConflictChoices.includes(value as OnConflict))
    throw new Error(`--on-conflict must be one of ${onConflictChoices.join(', ')}, not ${value}`);
  return value as OnConflict;
};

/** A failed import's error, saying where the next run resumes (its checkpoint), when it recorded one. */
async function withResumeHint(store: Store, row: UpstreamRow, error: unknown): Promise<unknown> {
  const checkpoint = await store.imports.find(row.tenant_id, row.id).catch(() => undefined);
  if (checkpoint?.state !== 'failed' || !(error instanceof Error)) return error;
  const at = `page ${checkpoint.pages} (${checkpoint.seen} customers read, ${checkpoint.imported} stored)`;
  return new Error(`${error.message}\nthe import stopped after ${at}; run the same command again to resume at the next page`);
}
