import { join } from 'node:path';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import {
  addWooshpayUpstream,
  cli,
  cliJson,
  type Env,
  gatewayEnv,
  installed,
  mib,
  type Section,
  serve,
  until,
  watchFile,
} from './gateways.ts';
import { buildDist, peakRss, resetPeakRss, runChild } from './processes.ts';

// Issue #27's migration row: a book of BENCH_BOOK customers moved between two real `custgate serve`
// processes on SQLite with the real CLI. The old provider is a gateway whose tenant holds the book
// (bulk-loaded by bench/preload.ts); the new provider is a second, empty tenant of that same
// gateway; the migrating gateway is the other process. Phases, each timed:
//   import    — `custgate upstream import` from the old provider (a proxy upstream);
//   backfill  — `custgate upstream backfill` to the new provider (a mirror upstream), queued, then
//               delivered by the running migrating gateway until its outbox is empty;
//   reconcile — `custgate upstream reconcile` against the new provider (exit 0: nothing differs).
// Peak RSS: each CLI process's own (getrusage on exit) and the migrating gateway's while it drains.
// The migrating gateway (its server and every command) runs as an installed package does, over the
// compiled dist/: a team moving a book runs the package, and tsx's loader alone holds ~55 MB.

export const migrationTargets = { peakRssBytes: 250 * 1024 * 1024 } as const;

// How long one phase may take before the row gives up (BENCH_PHASE_MINUTES, default 240). At
// 100,000 on a loaded machine the import alone ran past the runner's 30 minutes and was stopped.
const phaseMs = Number(process.env.BENCH_PHASE_MINUTES ?? 240) * 60_000;

interface Tenant {
  readonly tenant: { readonly id: string };
  readonly credentials: Record<string, IssuedCredentials>;
}

export async function migrationSection(dir: string, book: number, log: (text: string) => void): Promise<Section> {
  const oldEnv = gatewayEnv(join(dir, 'old-provider.db'));
  const fileB = join(dir, 'migrating.db');
  const migEnv = gatewayEnv(fileB);
  log(`migration row: ${book.toLocaleString('en-US')} customers, old provider → migrating gateway → new provider`);
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(book)], oldEnv, 30 * 60_000)) as Tenant & { ms: number };
  const fresh = await cliJson<Tenant>(['tenant', 'create', 'new-provider'], oldEnv);
  const provider = await serve(oldEnv);
  buildDist();
  const install = installed(dir);
  const migrating = await cliJson<Tenant>(['tenant', 'create', 'migrating'], migEnv, install);
  const tenant = migrating.tenant.id;
  const gateway = await serve(migEnv, install);
  const watch = watchFile(fileB);
  const pid = gateway.child.process.pid;
  try {
    const add = (mode: string, credentials: IssuedCredentials | undefined) =>
      addWooshpayUpstream(migEnv, tenant, `${provider.url}/wooshpay`, mode, credentials, install);
    // What every phase below pays before its first customer: a CLI process starting and opening the store.
    const start = await cli(['upstream', 'list', tenant], migEnv, { install });
    const old = { id: await add('proxy', preloaded.credentials.wooshpay) };
    const imported = await cli(['upstream', 'import', tenant, old.id, '--json'], migEnv, { timeoutMs: phaseMs, install });
    const importResult = JSON.parse(imported.stdout) as { imported: number; seen: number; pages: number };
    log(`  import: ${importResult.imported} customers in ${(imported.ms / 1000).toFixed(1)} s`);

    const mirror = { id: await add('mirror', fresh.credentials.wooshpay) };
    resetPeakRss(pid);
    const queuedRun = await cli(['upstream', 'backfill', tenant, mirror.id, '--rate', '1000000', '--json'], migEnv, {
      timeoutMs: phaseMs,
      install,
    });
    const queued = (JSON.parse(queuedRun.stdout) as { queued: number }).queued;
    const drainStarted = performance.now();
    const pending = () => watch.count("select count(*) from outbox where tenant_id = ? and state = 'pending'", tenant);
    const drained = await until(() => pending() === 0, phaseMs, 500);
    const drainMs = performance.now() - drainStarted + queuedRun.ms;
    const dead = watch.count("select count(*) from outbox where tenant_id = ? and state = 'dead'", tenant);
    const gatewayRss = peakRss(pid);
    log(`  backfill: ${queued} queued in ${(queuedRun.ms / 1000).toFixed(1)} s, outbox empty after ${(drainMs / 1000).toFixed(1)} s`);

    const reconciled = await cli(['upstream', 'reconcile', tenant, mirror.id, '--json'], migEnv, {
      allowFailure: true,
      timeoutMs: phaseMs,
      install,
    });
    const report = JSON.parse(reconciled.stdout) as { clean: boolean; counts: Record<string, number> };
    log(`  reconcile: ${report.clean ? 'clean' : 'DIFFERENCES'} in ${(reconciled.ms / 1000).toFixed(1)} s`);

    const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    const rows = [
      ['baseline: CLI start (`upstream list`)', '–', seconds(start.ms), '–', mib(start.maxRss)],
      [
        'import (`upstream import`)',
        String(importResult.imported),
        seconds(imported.ms),
        rate(importResult.imported, imported.ms),
        mib(imported.maxRss),
      ],
      ['backfill: queue (`upstream backfill`)', String(queued), seconds(queuedRun.ms), rate(queued, queuedRun.ms), mib(queuedRun.maxRss)],
      [
        'backfill: queue + delivery until the outbox is empty',
        String(queued),
        seconds(drainMs),
        rate(queued, drainMs),
        `${mib(gatewayRss)} (gateway)`,
      ],
      [
        'reconcile (`upstream reconcile`)',
        String(report.counts.local ?? 0),
        seconds(reconciled.ms),
        rate(report.counts.local ?? 0, reconciled.ms),
        mib(reconciled.maxRss),
      ],
    ];
    const peaks = [imported.maxRss, queuedRun.maxRss, reconciled.maxRss, gatewayRss];
    const worst = Math.max(...peaks.map((p) => p ?? Number.POSITIVE_INFINITY));
    return {
      title: `Migration (issue #27): ${book.toLocaleString('en-US')} customers between two gateways`,
      header: ['phase', 'customers', 'seconds', 'customers/s', 'peak RSS MB'],
      rows,
      notes: [
        `BENCH_BOOK=${book} (the issue's figure: 100,000). The old provider's book was bulk-loaded in ${seconds(preloaded.ms)} s (not a phase).`,
        `Two \`custgate serve\` processes on SQLite (synchronous=FULL): the old and the new provider are two tenants of one (from the sources through tsx), the migrating gateway is the other, ${install.label}; every phase is the real CLI against the migrating gateway's file, Wooshpay both ways.`,
        "The backfill is queued with `--rate 1000000` (unthrottled) so the row measures the pipeline; the delivery is the running migrating gateway's dispatcher (one create per customer at the new provider).",
        `Outbox after the drain: ${drained ? 0 : pending()} pending, ${dead} dead; reconcile: ${report.clean ? 'no differences' : `differences ${JSON.stringify(report.counts)}`}.`,
        "Peak RSS: each CLI process's own (getrusage at exit); the delivery row is the migrating gateway's during the backfill.",
      ],
      verdicts: [
        {
          target: `peak RSS of the migrating processes ≤ ${migrationTargets.peakRssBytes / 1024 / 1024} MB`,
          value: `${mib(worst)} MB`,
          met: worst <= migrationTargets.peakRssBytes,
        },
        {
          target: 'every customer moved: imported, delivered, reconciled clean',
          value: `${importResult.imported}/${book} imported, ${report.clean ? 'clean' : 'not clean'}, ${dead} dead`,
          met: importResult.imported === book && report.clean && dead === 0 && drained,
        },
      ],
    };
  } finally {
    watch.close();
    await gateway.stop();
    await provider.stop();
  }
}

export type { Env };
