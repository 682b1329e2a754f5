import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type Env, tenantId, withStore } from './with-store.ts';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { DialectSource } from '../contract/registry.ts';
import { CustomerService } from '../core/index.ts';
import { backfill } from '../outbox/backfill.ts';
import { type Reconciliation, reconcile } from '../outbox/reconcile.ts';
import { upstreamsOf } from '../outbox/upstream-port.ts';
import type { Store, UpstreamRow } from '../store/index.ts';
import { UpstreamClient } from '../upstream/client.ts';
import { type ImportProgress, importCustomers } from '../upstream/import.ts';
import { leftOut } from '../upstream/import-job.ts';
import { minRate } from '../upstream/import-lease.ts';
import { type ImportConflict, type ImportRefusal, type OnConflict, onConflictChoices } from '../upstream/import-one.ts';
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
          const progress = await importCustomers(bookDeps(store, env, await dialectsFor(store, source, row)), row, {
            rate: opts.rate,
            livemode: opts.live === true ? true : undefined,
            onConflict: opts.onConflict,
            onPage: bar.update,
            holder: processHolder(),
            signal: stopping.signal,
          });
          const checkpoint = await store.imports.find(row.tenant_id, row.id);
          const left = checkpoint
            ? await leftOut(store, checkpoint)
            : { imported: progress.imported, linked: 0, conflicts: [], refused: [] };
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
      console.log(
        opts.json
          ? JSON.stringify(done)
          : `imported ${done.imported} customers from upstream ${done.upstream} (${done.seen} listed, ${done.seen - done.imported - done.linked - left - refused} linked already, ${done.linked} local customers linked to theirs, ${left} left out for conflicts, ${refused} left out as not storable here, ${done.pages} pages)`,
      );
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
      if (opts.json) console.log(JSON.stringify(result));
      else if (!opts.ids) console.log(summary(result));
    });
}

const onConflictOption = (value: string): OnConflict => {
  if (!onConflictChoices.includes(value as OnConflict))
    throw new Error(`--on-conflict must be one of ${onConflictChoices.join(', ')}, not ${value}`);
  return value as OnConflict;
};

/** What the import left out and what to do about it (stderr; exit status 3). */
function conflictMessage(upstream: string, conflicts: readonly ImportConflict[]): string {
  const left = new Set(conflicts.map((c) => c.upstream_id)).size;
  const lines = [
    left === 1
      ? `1 customer of upstream ${upstream} was not imported: a local customer already holds its alias or external_id`
      : `${left} customers of upstream ${upstream} were not imported: a local customer already holds their alias or external_id`,
    ...conflicts.map(
      (c) =>
        `  ${c.upstream_id}: ${c.key} ${JSON.stringify(c.value)} is local customer ${c.local_public_id} (${c.local_id})${c.reason ? `; not linked: ${c.reason}` : ''}`,
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
function refusalMessage(upstream: string, refused: readonly ImportRefusal[]): string {
  return [
    refused.length === 1
      ? `1 customer of upstream ${upstream} was not imported: this gateway cannot store it as the provider holds it`
      : `${refused.length} customers of upstream ${upstream} were not imported: this gateway cannot store them as the provider holds them`,
    ...refused.map((r) => `  ${r.upstream_id}: ${r.reason}`),
    'Nothing of them was stored. Correct each at the provider and run the import again (it stores them then); every other customer of the list was imported.',
  ].join('\n');
}

/** A failed import's error, saying where the next run resumes (its checkpoint), when it recorded one. */
async function withResumeHint(store: Store, row: UpstreamRow, error: unknown): Promise<unknown> {
  const checkpoint = await store.imports.find(row.tenant_id, row.id).catch(() => undefined);
  if (checkpoint?.state !== 'failed' || !(error instanceof Error)) return error;
  const at = `page ${checkpoint.pages} (${checkpoint.seen} customers read, ${checkpoint.imported} stored)`;
  return new Error(`${error.message}\nthe import stopped after ${at}; run the same command again to resume at the next page`);
}

/**
 * A CSV field (RFC 4180): quoted, its quotes doubled, when it holds a comma or a quote. A
 * provider's customer id may (a link refuses control characters only): written bare, `cus_1,x`
 * read as two columns and shifted the map's pairs.
 */
const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/**
 * Lines spooled to a temporary file (a slow disk, not memory, holds a large book), then printed to
 * stdout whole by `print`, or dropped by `discard`: a script reading `reconcile --ids` gets the
 * whole id map or nothing, never the part found before a failure.
 */
async function csvSpool(header: string) {
  const dir = await mkdtemp(join(tmpdir(), 'custgate-ids-'));
  const path = join(dir, 'ids.csv');
  const file = createWriteStream(path);
  let failed: unknown;
  file.on('error', (error) => {
    failed = error;
    file.emit('drain');
  });
  const write = async (line: string) => {
    if (failed === undefined && !file.write(`${line}\n`)) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
    if (failed !== undefined) throw failed;
  };
  const close = () =>
    new Promise<void>((resolve) => {
      if (failed === undefined) file.end(() => resolve());
      else resolve(void file.destroy());
    });
  await write(header);
  return {
    write,
    async print() {
      await close();
      await new Promise<void>((resolve, reject) => {
        const read = createReadStream(path);
        read.once('error', reject).once('end', () => resolve());
        // stdout stays open: a pipe's end would close it for the lines the caller prints after.
        read.pipe(process.stdout, { end: false });
      });
      await rm(dir, { recursive: true, force: true });
    },
    async discard() {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The reconciliation for a person: counts, then each difference (the first 20 of each kind). */
function summary(r: Reconciliation): string {
  const c = r.counts;
  const lines = [
    `${r.clean ? 'no differences' : 'DIFFERENCES FOUND'}: ${c.local} local customers, ${c.upstream} at upstream ${r.upstream}, ${c.linked} linked`,
    `  missing at the upstream: ${c.missing_upstream}`,
    ...r.missing_upstream.slice(0, 20).map((id) => `    ${id}`),
    `  missing locally: ${c.missing_local}`,
    ...r.missing_local.slice(0, 20).map((id) => `    ${id}`),
    `  customers with differing fields: ${c.differing}`,
  ];
  for (const d of r.differences.slice(0, 20)) {
    for (const f of d.fields)
      lines.push(
        `    ${d.customer} (${d.upstream_id}) ${f.field}: local ${JSON.stringify(f.local)}, upstream ${JSON.stringify(f.upstream)}`,
      );
  }
  if (c.refused > 0) {
    lines.push(`  upstream customers this gateway cannot store (not compared): ${c.refused}`);
    lines.push(...r.refused.slice(0, 20).map((x) => `    ${x.upstream_id}: ${x.reason}`));
  }
  return lines.join('\n');
}
