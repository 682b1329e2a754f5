import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { openStore } from '../src/entries/node.ts';
import { defaultQuietMs } from '../src/outbox/drain-pace.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { pendingDelivery, type Store } from '../src/store/index.ts';
import { freePort } from '../src/entries/registered.ts';
import { customerIds } from './fixtures.ts';
import { addWooshpayUpstream, cliJson, gatewayEnv, type Section, serve, until, watchFile } from './gateways.ts';
import { type Measured, measure } from './load.ts';
import { cpuSeconds, root, runChild } from './processes.ts';

// Issue #27's outbox rows: does a backlog of one tenant's deliveries cost the other tenants, and
// does the drain slow down as the backlog grows? One `custgate serve` on SQLite; its tenant
// `bench` holds BENCH_BACKLOG + 100 customers (bench/preload.ts) and two mirror upstreams: one at a
// provider (a second custgate), one at a port nothing listens on. The backlog is seeded by inserting
// pending create deliveries straight into the gateway's file through the store API (what a
// backfill or a write queues, without the writes), while the gateway runs.
//   drain rate: 100 deliveries seeded, the rate at which they are delivered; then BENCH_BACKLOG
//     seeded, the rate of its first BENCH_DRAIN_SAMPLE deliveries (from the rows' settle times);
//   read p99: a retrieve of another tenant's customer at a fixed rate (BENCH_BACKLOG_RATE), with an
//     empty outbox; then while the large backlog is being delivered (the provider up, the drain
//     healthy: what a backfill costs the other tenants); then with the provider stopped and
//     BENCH_BACKLOG more deliveries seeded towards the unreachable upstream, so every delivery fails
//     (the dispatcher holds both upstreams: src/outbox/drain-loop.ts) while the reads run.

/** The gateway's event-loop delay (ms) and utilization over one window (bench/loop-delay.mjs). */
interface LoopDelay {
  readonly seq: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly utilization: number;
}

/** Ends the gateway's current event-loop window and returns its figures (SIGUSR2 to bench/loop-delay.mjs). */
async function loopWindow(pid: number | undefined, file: string): Promise<LoopDelay | undefined> {
  const read = (): LoopDelay | undefined => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay;
    } catch {
      return undefined;
    }
  };
  if (pid === undefined) return undefined;
  const before = read()?.seq ?? 0;
  process.kill(pid, 'SIGUSR2');
  try {
    await until(() => (read()?.seq ?? 0) > before, 10_000, 20);
  } catch {
    return undefined;
  }
  return read();
}

const loopText = (l: LoopDelay | undefined) =>
  l
    ? `event-loop delay p50 ${l.p50.toFixed(2)} / p90 ${l.p90.toFixed(2)} / p99 ${l.p99.toFixed(2)} / max ${l.max.toFixed(1)} ms, utilization ${l.utilization.toFixed(2)}`
    : 'event-loop delay not measured';

// Past the pace's quiet time, so that a drain row's first deliveries are not paced by the reads before it.
const quietMarginMs = 500;

export const backlogTargets = { p99Share: 2, drainShare: 0.5 } as const;

export interface BacklogOptions {
  readonly backlog: number;
  readonly sample: number;
  readonly rate: number;
  readonly seconds: number;
  /** Read windows per phase; a phase's figure is the median of its windows' (BENCH_BACKLOG_WINDOWS). */
  readonly windows: number;
  /** Seconds of reads before the first phase (BENCH_BACKLOG_WARMUP); 2 before each later one. */
  readonly warmup: number;
  /** The provider process's nice value (BENCH_PROVIDER_NICE): it stands for a remote service. */
  readonly providerNice: number;
}

/**
 * Every thread of `pid` at `nice` (Linux; elsewhere nothing). Threads it starts later inherit it.
 * The provider stands for a service on another machine: on the bench's cores at the gateway's own
 * priority its CPU (2.3–2.6 ms a delivery) runs beside the gateway's reads, which a real provider's
 * never does.
 */
function renice(pid: number | undefined, nice: number): void {
  if (pid === undefined || nice === 0) return;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tasks) setPriority(Number(tid), nice);
}

/**
 * One phase's reads: `windows` back-to-back windows, each its own p50/p99. The phase's figure is
 * the median window: a p99 of 2,000 reads is its 20th slowest, and one stall of the host's moves a
 * single window's by half (last session: 1.44×, 1.80×, 2.29× in three runs of one build).
 */
interface Phase {
  readonly windows: readonly Measured[];
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly loop: LoopDelay | undefined;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const windowsText = (phase: Phase) => phase.windows.map((w) => w.p99.toFixed(2)).join(', ');

/** Pending create deliveries for the preloaded customers [from, to) towards one upstream; returns the seed's timestamp. */
async function seed(store: Store, tenant: string, upstream: string, from: number, to: number): Promise<string> {
  const db = queryBuilder(store.executor.backend);
  const at = new Date().toISOString();
  for (let start = from; start < to; start += 500) {
    const rows = [];
    for (let i = start; i < Math.min(to, start + 500); i++) {
      rows.push(
        pendingDelivery({ upstream_id: upstream, customer_id: customerIds(i).uuid, version: 1, tenant_id: tenant, action: 'create' }, at),
      );
    }
    await store.executor.run(db.insertInto('outbox').values(rows).compile());
  }
  return at;
}

export async function backlogSection(dir: string, options: BacklogOptions, log: (text: string) => void): Promise<Section> {
  const { backlog, sample, rate, seconds, windows, warmup, providerNice } = options;
  const file = join(dir, 'backlog.db');
  const env = gatewayEnv(file);
  const providerEnv = gatewayEnv(join(dir, 'backlog-provider.db'));
  log(`backlog rows: ${backlog.toLocaleString('en-US')} deliveries pending`);
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(backlog + 100)], env, 30 * 60_000)) as {
    tenantId: string;
    credentials: Record<string, IssuedCredentials>;
  };
  const tenant = preloaded.tenantId;
  const quiet = await cliJson<{ tenant: { id: string }; credentials: Record<string, IssuedCredentials> }>(
    ['tenant', 'create', 'quiet'],
    env,
  );
  const account = await cliJson<{ credentials: Record<string, IssuedCredentials> }>(['tenant', 'create', 'provider-account'], providerEnv);
  const provider = await serve(providerEnv);
  renice(provider.child.process.pid, providerNice);
  const nowhere = `http://127.0.0.1:${await freePort()}/wooshpay`;
  const mirror = async (url: string) => ({ id: await addWooshpayUpstream(env, tenant, url, 'mirror', account.credentials.wooshpay) });
  const live = await mirror(`${provider.url}/wooshpay`);
  const dead = await mirror(nowhere);
  const loopFile = join(dir, 'backlog-loop-delay.json');
  const gateway = await serve({
    ...env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(join(root, 'bench', 'loop-delay.mjs')).href}`.trim(),
    BENCH_LOOP_DELAY_FILE: loopFile,
  });
  // The bench's own connection writes beside the serving gateway, which holds the write lock between
  // its commits: it waits as a CLI command does (src/entries/cli.ts), not the server's 100 ms.
  const store = await openStore({
    DATABASE_URL: `file:${file}`,
    CUSTGATE_SQLITE_WRITER: 'inline',
    CUSTGATE_SQLITE_BUSY_TIMEOUT_MS: '10000',
  });
  const watch = watchFile(file);
  try {
    const wooshpay = dialects.wooshpay;
    const auth = fixturesOf(wooshpay).auth(quiet.credentials.wooshpay!);
    const created = await fetch(`${gateway.url}/wooshpay/v1/customers`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Quiet+Tenant&email=quiet%40example.com',
    });
    if (created.status !== 200) throw new Error(`the quiet tenant's customer: ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const read = { method: 'GET', path: `/wooshpay/v1/customers/${id}`, headers: auth };
    // The first phase meets a gateway that has served nothing yet: after 2 s (400 reads) its first
    // window's p99 was 5.2–9.9 ms against 2.1–2.8 in the two after it (and 4.1–4.8 still after
    // 10 s), which flattered every ratio to the empty outbox. BENCH_BACKLOG_WARMUP seconds before
    // it, 2 s before the others.
    const reads = async (warmSeconds = 2): Promise<Phase> => {
      await measure(gateway.url, read, { connections: 8, durationSeconds: warmSeconds, rate });
      await loopWindow(gateway.child.process.pid, loopFile);
      const taken: Measured[] = [];
      for (let w = 0; w < windows; w++) taken.push(await measure(gateway.url, read, { connections: 8, durationSeconds: seconds, rate }));
      return {
        windows: taken,
        p50: median(taken.map((m) => m.p50)),
        p99: median(taken.map((m) => m.p99)),
        errors: taken.reduce((sum, m) => sum + m.errors, 0),
        loop: await loopWindow(gateway.child.process.pid, loopFile),
      };
    };
    const pending = () => watch.count("select count(*) from outbox where tenant_id = ? and state = 'pending'", tenant);
    const delivered = (at: string, since: string) =>
      watch.all<{ updated_at: string }>(
        "select updated_at from outbox where upstream_id = ? and created_at = ? and state = 'delivered' and updated_at >= ? order by updated_at",
        live.id,
        at,
        since,
      );
    /**
     * Deliveries per second between the first and the last of the first `n` settled from `since`:
     * for the large backlog, from the end of its seeding, whose inserts hold the write lock the
     * dispatcher needs (what it delivers meanwhile measures the seeding, not the backlog).
     */
    const drainRate = async (at: string, n: number, since = at) => {
      // CPU of each process over the same window, divided by what it delivered meanwhile: a figure
      // the machine's load moves far less than the wall rate.
      const cpu = () => [cpuSeconds(gateway.child.process.pid), cpuSeconds(provider.child.process.pid)];
      const [gateway0, provider0] = cpu();
      await until(() => delivered(at, since).length >= n, 30 * 60_000, 200);
      const [gateway1, provider1] = cpu();
      const all = delivered(at, since);
      const times = all.slice(0, n).map((r) => Date.parse(r.updated_at));
      const span = (times.at(-1)! - times[0]!) / 1000;
      const perDelivery = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? Number.NaN : ((b - a) * 1e6) / all.length;
      return {
        rate: span > 0 ? (times.length - 1) / span : Number.NaN,
        n: times.length,
        gatewayUs: perDelivery(gateway0, gateway1),
        providerUs: perDelivery(provider0, provider1),
      };
    };
    const cpuText = (d: { gatewayUs: number; providerUs: number }) =>
      `; CPU per delivery: gateway ${d.gatewayUs.toFixed(0)} µs, provider ${d.providerUs.toFixed(0)} µs`;

    const empty = await reads(warmup);
    log(`  read p99, empty outbox: ${empty.p99.toFixed(2)} ms (windows ${windowsText(empty)}); ${loopText(empty.loop)}`);
    // The drain rows are unpaced baselines: the drain keeps to CUSTGATE_OUTBOX_SHARE until the
    // pace's quiet time has passed since the last request (the reads just above).
    await new Promise((resolve) => setTimeout(resolve, defaultQuietMs + quietMarginMs));
    const small = await drainRate(await seed(store, tenant, live.id, 0, 100), 100);
    log(`  drain at a backlog of 100: ${small.rate.toFixed(1)}/s${cpuText(small)}`);
    const seedStarted = performance.now();
    const bigAt = await seed(store, tenant, live.id, 100, backlog + 100);
    const seedMs = performance.now() - seedStarted;
    const seeded = new Date().toISOString();
    const large = await drainRate(bigAt, Math.min(sample, backlog), seeded);
    log(`  drain at a backlog of ${backlog}: ${large.rate.toFixed(1)}/s${cpuText(large)}`);
    const drainingBefore = pending();
    const draining = await reads();
    const drainingAfter = pending();
    log(
      `  read p99, healthy drain, ${drainingBefore} → ${drainingAfter} pending: ${draining.p99.toFixed(2)} ms (windows ${windowsText(draining)}); ${loopText(draining.loop)}`,
    );
    await provider.stop();
    await seed(store, tenant, dead.id, 0, backlog);
    const before = pending();
    const loaded = await reads();
    const after = pending();
    log(`  read p99, ${before} pending: ${loaded.p99.toFixed(2)} ms (windows ${windowsText(loaded)}); ${loopText(loaded.loop)}`);

    const p99Share = loaded.p99 / empty.p99;
    const drainingShare = draining.p99 / empty.p99;
    const drainShare = large.rate / small.rate;
    const ms = (m: Phase) => [m.p50.toFixed(2), `${m.p99.toFixed(2)} (${windowsText(m)})`, String(m.errors)];
    return {
      title: `Outbox backlog (issue #27): ${backlog.toLocaleString('en-US')} deliveries pending`,
      header: ['row', 'pending', 'value', 'p50 ms', 'p99 ms (each window)', 'errors', 'ratio to baseline'],
      rows: [
        ['baseline: other tenant retrieve, empty outbox', '0', `${rate} req/s offered`, ...ms(empty), '–'],
        [
          'other tenant retrieve, backlog being delivered (provider up)',
          `${drainingBefore} → ${drainingAfter}`,
          `${rate} req/s offered`,
          ...ms(draining),
          `${drainingShare.toFixed(2)}× p99`,
        ],
        [
          `other tenant retrieve, backlog (upstreams unreachable)`,
          `${before} → ${after}`,
          `${rate} req/s offered`,
          ...ms(loaded),
          `${p99Share.toFixed(2)}× p99`,
        ],
        ['baseline: drain at a backlog of 100', '100', `${small.rate.toFixed(1)} deliveries/s${cpuText(small)}`, '–', '–', '–', '–'],
        [
          `drain at a backlog of ${backlog.toLocaleString('en-US')} (first ${large.n})`,
          String(backlog),
          `${large.rate.toFixed(1)} deliveries/s${cpuText(large)}`,
          '–',
          '–',
          '–',
          `${drainShare.toFixed(2)}×; CPU ${(large.gatewayUs / small.gatewayUs).toFixed(2)}×`,
        ],
      ],
      notes: [
        `BENCH_BACKLOG=${backlog} (the issue's figure: 100,000), BENCH_DRAIN_SAMPLE=${sample}, BENCH_BACKLOG_RATE=${rate} req/s in ${windows} windows (BENCH_BACKLOG_WINDOWS) of ${seconds} s (BENCH_BACKLOG_SECONDS), after ${warmup} s of the same reads before the first phase (BENCH_BACKLOG_WARMUP) and 2 s before each later one, 8 connections; a read row's p50 and p99 are the median of its windows' (each window's p99 beside it), the ratios are taken between those medians.`,
        `Seeded by inserting pending create deliveries into the running gateway's SQLite file through the store API (${backlog.toLocaleString('en-US')} in ${(seedMs / 1000).toFixed(1)} s), not by writes; the customers were bulk-loaded by bench/preload.ts.`,
        `Drain: one \`custgate serve\` delivering creates to a second custgate (Wooshpay), unpaced: the drain at 100 is seeded ${((defaultQuietMs + quietMarginMs) / 1000).toFixed(1)} s after the last read (the pace's quiet time is ${defaultQuietMs / 1000} s) and nothing requests the gateway until both drain rows are taken; the rate is taken from the settle times of the delivered rows (first to last of the sample), for the large backlog of those settled after its seeding ended. CPU per delivery: each process's user + system time (/proc/<pid>/stat) over the window, divided by the deliveries settled in it.`,
        'Read p99 during a healthy drain: right after the drain sample, while the rest of the large backlog is being delivered to the provider (the pending column: before → after the reads).',
        `The gateway's main thread over each read window (bench/loop-delay.mjs: how late a 1 ms timer fired, so how long its synchronous stretches were; load-independent where the p99 is not): empty outbox ${loopText(empty.loop)}; healthy drain ${loopText(draining.loop)}; upstreams unreachable ${loopText(loaded.loop)}. Drain pacing: ${process.env.CUSTGATE_DELIVERY_THREAD === 'off' ? `on the main thread (CUSTGATE_DELIVERY_THREAD=off), CUSTGATE_OUTBOX_SHARE=${process.env.CUSTGATE_OUTBOX_SHARE ?? 'default'}` : `in the delivery thread at nice ${process.env.CUSTGATE_DELIVERY_NICE ?? 'default'} (CUSTGATE_DELIVERY_NICE), CUSTGATE_DELIVERY_SHARE=${process.env.CUSTGATE_DELIVERY_SHARE ?? 'default'}`}.`,
        `The provider process runs at nice ${providerNice} (BENCH_PROVIDER_NICE; 0: the gateway's own priority): it stands for a provider on another machine, whose CPU a real deployment never shares with the gateway's reads.`,
        'Read p99 with the upstreams unreachable: the provider is stopped and a second backlog is seeded towards a port nothing listens on; every send fails, and the dispatcher holds each upstream after a failed round and defers its deliveries (src/outbox/drain-loop.ts) while another tenant is read.',
      ],
      verdicts: [
        {
          target: `other tenant's retrieve p99 during a healthy drain of the backlog ≤ ${backlogTargets.p99Share}× with an empty outbox`,
          // Reads after the backlog ran out measure an empty outbox again, not the drain.
          value:
            drainingAfter > 0
              ? `${drainingShare.toFixed(2)}×`
              : `${drainingShare.toFixed(2)}×, but the backlog ran out during the reads (raise BENCH_BACKLOG): not measured`,
          met: drainingShare <= backlogTargets.p99Share && drainingAfter > 0,
        },
        {
          target: `other tenant's retrieve p99 with the backlog failing ≤ ${backlogTargets.p99Share}× with an empty outbox`,
          value: `${p99Share.toFixed(2)}×`,
          met: p99Share <= backlogTargets.p99Share,
        },
        {
          target: `drain rate at the backlog ≥ ${backlogTargets.drainShare}× the rate at 100`,
          value: `${drainShare.toFixed(2)}×`,
          met: drainShare >= backlogTargets.drainShare,
        },
        {
          target: 'no failed reads',
          value: String(empty.errors + draining.errors + loaded.errors),
          met: empty.errors + draining.errors + loaded.errors === 0,
        },
      ],
    };
  } finally {
    watch.close();
    await store.executor.close();
    await gateway.stop();
    await provider.stop();
  }
}
