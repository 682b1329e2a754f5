// `npm run bench`: update throughput against the HTTP stack's own ceiling, in one run.
//
// A bare Hono hello-world and custgate each run in their own child process on 127.0.0.1;
// autocannon (this process) drives both with the same connections and duration. custgate runs
// as `npm start` does (bin/custgate.js serve, NODE_ENV=production) on a fresh SQLite file that a
// preparatory process filled. Every dialect in the registry is measured: an update (its realistic
// example body, spread over the customers) and a retrieve, and the update again with the large
// store. Results go to stdout and bench/RESULTS.md.
//
// Knobs (defaults in brackets): BENCH_CONNECTIONS [32], BENCH_DURATION seconds per row [10],
// BENCH_WARMUP seconds before each row [3], BENCH_SMALL [1000], BENCH_LARGE [1000000; 0 skips],
// BENCH_DIALECTS comma list [all], BENCH_CPU_PROF directory for custgate's --cpu-prof,
// BENCH_ROUNDS [3] and BENCH_SLICE_SECONDS [4]: the rows a target compares run in alternation,
// that many rounds of slices that long with their servers kept up, each ratio the median of its
// rounds (bench/pairs.ts, bench/alternate.ts); BENCH_DURATION is then the other rows' length.
// BENCH_SCALE_ROUNDS [5]: rounds of the large store's update beside the small store's, on their
// own after the other pairs.
// BENCH_SLICE_WARMUP [1] seconds of a slice's own requests, unmeasured, before each slice.
// BENCH_DISK_COMMITS [1000; 0 skips] fdatasyncs measure the disk's floor once a round.
// BENCH_RESULTS output file [bench/RESULTS.md], BENCH_RATE fixed offered load of the latency rows
// [500; 0 skips them], BENCH_DATABASE_URL (or TEST_DATABASE_URL) a
// postgres:// URL for the PostgreSQL rows (a fresh schema, dropped after). CUSTGATE_SQLITE_SYNCHRONOUS
// is passed through. Rows: hello-world; every dialect's update and retrieve on SQLite; Wooshpay's
// update with synchronous=NORMAL, with the inline writer, and compiled (bin/custgate.js over dist/, as an installed package runs); Wooshpay on PostgreSQL with --workers 2 and with one process;
// every dialect's update with the large store; the same work written by hand on the same stack
// (bench/by-hand-server.ts: retrieve, update with synchronous=NORMAL and FULL, and on PostgreSQL),
// which every custgate row is compared with; every dialect's update at a fixed offered load
// (BENCH_RATE) for its p99, beside the by-hand update at that rate (bench/load.ts paces it); Stoplight Prism mocking the generated Wooshpay
// OpenAPI document (docs/openapi/wooshpay.json) with the same update requests.
//
// Groups (`npm run bench -- --only requests,migration,backlog,webhooks,scale,postgres,memory`; all but scale, postgres and memory by default): the rows
// above are `requests`; the others are sections of their own, each against a baseline of the same
// run — `migration` (bench/migration.ts, BENCH_BOOK [2000]), `backlog` (bench/backlog.ts,
// BENCH_BACKLOG [2000], BENCH_DRAIN_SAMPLE [500], BENCH_BACKLOG_RATE [200], BENCH_BACKLOG_SECONDS
// [10] per read window, BENCH_BACKLOG_WINDOWS [3], BENCH_BACKLOG_WARMUP [10], BENCH_PROVIDER_NICE [10]) and `webhooks` (bench/webhooks.ts, BENCH_WEBHOOK_BOOK [1000], BENCH_CONNECTIONS,
// BENCH_DURATION). With --only, results are printed and written only to BENCH_RESULTS when set.
//
// `--only scale` measures every dialect's update at BENCH_SMALL and at BENCH_LARGE customers and
// nothing else, the two servers in alternation (bench/pairs.ts; BENCH_SCALE_ROTATE [0] rotates the
// dialects' order within a round).
// `--only paced` measures the update's p99 at BENCH_RATE and what it is made of (bench/paced.ts,
// BENCH_PACED_ROUNDS [1]): hello-world, by hand and custgate at that rate, the checkpoint on its
// own thread and inside the commit alternately, with the writer thread's own commit timings and
// the tail's attribution (bench/tail.ts: slow commits, main-thread pauses and GC, the pacer's lateness);
// the custgate rows also trace their updates (CUSTGATE_REQUEST_TRACE) and class each slow request
// by the stage it waited longest in (bench/tail-stages.ts);
// BENCH_PACED_PAGES (e.g. `250,1000`) repeats the custgate rows per CUSTGATE_SQLITE_CHECKPOINT_PAGES. BENCH_PACED_SYNC
// (`full`, `normal`; both by default) limits them to one synchronous setting.
// BENCH_INSTALL [installed]: custgate as `npm install custgate` runs it (compiled dist/) and the
// bench's own servers bundled by esbuild, or `sources`: all through tsx's loader, as a clone runs.
// BENCH_PRELOAD_DIR keeps each preloaded SQLite store there and reuses it in later runs (a copy is
// measured). The groups live in bench/requests.ts, bench/rows.ts, bench/migration.ts,
// bench/backlog.ts and bench/webhooks.ts; bench/results.ts writes the results.

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { dialects } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import type { LoadOptions } from './load.ts';
import { root } from './processes.ts';
import type { Row } from './report.ts';
import type { Section } from './gateways.ts';
import { migrationSection } from './migration.ts';
import { backlogSection } from './backlog.ts';
import { webhookSection } from './webhooks.ts';
import { pacedRows } from './paced.ts';
import { compiledRows, postgresRows, requestRows, scaleRows } from './requests.ts';
import type { RowContext } from './rows.ts';
import { writeResults } from './results.ts';
import { numberKnob } from './knobs.ts';

const env = process.env;
const num = numberKnob;
const load: LoadOptions = { connections: num('BENCH_CONNECTIONS', 32), durationSeconds: num('BENCH_DURATION', 10) };
const warmupSeconds = num('BENCH_WARMUP', 3);
const sizes = [num('BENCH_SMALL', 1000), num('BENCH_LARGE', 1_000_000)].filter((n) => n > 0);
const only = env.BENCH_DIALECTS?.split(',').filter(Boolean);
const registered: AnyDialect[] = Object.values(dialects).filter((d) => !only || only.includes(d.name));
// `npm run bench -- --only migration,backlog`: some groups only, printed (and written to BENCH_RESULTS
// when set; bench/RESULTS.md keeps the last whole run). `scale` is not part of the default run: the
// requests group has the same rows. Nor is `postgres`: the PostgreSQL rows of `requests` alone, for
// before/after figures of the PostgreSQL path. Nor is `memory`: the compiled server's rows of
// `requests` alone (bin/custgate.js as installed), whose peak RSS is the memory target. Nor is
// `paced` (bench/paced.ts): the fixed-rate rows and what their tail is made of.
const groups = ['requests', 'migration', 'backlog', 'webhooks', 'scale', 'postgres', 'memory', 'paced'] as const;
const defaultGroups = groups.filter((g) => g !== 'scale' && g !== 'postgres' && g !== 'memory' && g !== 'paced');
const onlyArg = parseArgs({ options: { only: { type: 'string' } } }).values.only;
const chosen = onlyArg?.split(',').filter(Boolean) ?? [...defaultGroups];
const unknownGroup = chosen.find((g) => !(groups as readonly string[]).includes(g));
if (unknownGroup) throw new Error(`--only ${unknownGroup}: the groups are ${groups.join(', ')}`);
const want = (group: (typeof groups)[number]) => chosen.includes(group);
const resultsPath = env.BENCH_RESULTS ?? (onlyArg ? undefined : join(root, 'bench', 'RESULTS.md'));
const book = num('BENCH_BOOK', 2000);
const sections: Section[] = [];
const synchronous = env.CUSTGATE_SQLITE_SYNCHRONOUS === 'normal' ? 'NORMAL' : 'FULL';
const rows: Row[] = [];
const notes: string[] = [];
const log = (text: string) => process.stdout.write(`${text}\n`);
const load0 = loadavg();
const started = Date.now();

const install = env.BENCH_INSTALL ?? 'installed';
if (install !== 'installed' && install !== 'sources') {
  process.stderr.write(`BENCH_INSTALL must be installed or sources (got ${JSON.stringify(install)})\n`);
  process.exit(2);
}
const installed = install === 'installed';
notes.push(
  installed
    ? 'custgate ran as an installed package runs (bin/custgate.js over the compiled dist/, BENCH_INSTALL=installed); hello-world and the by-hand servers as JavaScript bundled by esbuild: no tsx loader on either side.'
    : 'custgate, hello-world and the by-hand servers ran from the sources through tsx (BENCH_INSTALL=sources).',
);

const ctx: RowContext = {
  load,
  warmupSeconds,
  fixedRate: num('BENCH_RATE', 500),
  postgresUrl: [env.BENCH_DATABASE_URL, env.TEST_DATABASE_URL].find((url) => url?.startsWith('postgres')),
  registered,
  serverEnv: { NODE_ENV: 'production', CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'), PORT: undefined, HOST: undefined },
  installed,
  cpuProfDir: env.BENCH_CPU_PROF || undefined,
  preloadDir: env.BENCH_PRELOAD_DIR || undefined,
  rows,
  rounds: Math.max(1, num('BENCH_ROUNDS', 3)),
  scaleRounds: Math.max(1, num('BENCH_SCALE_ROUNDS', 5)),
  sliceSeconds: num('BENCH_SLICE_SECONDS', 4),
  sliceWarmupSeconds: num('BENCH_SLICE_WARMUP', 1),
  diskCommits: num('BENCH_DISK_COMMITS', 1000),
  diskFloor: [],
  notes,
  log,
};

const dir = mkdtempSync(join(tmpdir(), 'custgate-bench-'));
try {
  if (want('requests')) await requestRows(ctx, dir, sizes, synchronous);
  if (want('scale')) await scaleRows(ctx, dir, sizes, num('BENCH_SCALE_ROTATE', 0));
  if (want('postgres') && !want('requests') && sizes[0] !== undefined) await postgresRows(ctx, dir, sizes[0]);
  if (want('memory') && !want('requests') && sizes[0] !== undefined) await compiledRows(ctx, dir, sizes[0]);
  if (want('paced') && sizes[0] !== undefined) await pacedRows(ctx, dir, sizes[0], num('BENCH_PACED_ROUNDS', 1));
  if (want('migration')) sections.push(await migrationSection(dir, book, log));
  if (want('backlog')) {
    const backlog = { backlog: num('BENCH_BACKLOG', 2000), sample: num('BENCH_DRAIN_SAMPLE', 500), rate: num('BENCH_BACKLOG_RATE', 200) };
    sections.push(
      await backlogSection(
        dir,
        {
          ...backlog,
          seconds: num('BENCH_BACKLOG_SECONDS', 10),
          windows: Math.max(1, num('BENCH_BACKLOG_WINDOWS', 3)),
          warmup: num('BENCH_BACKLOG_WARMUP', 10),
          providerNice: Math.min(19, Math.max(0, num('BENCH_PROVIDER_NICE', 10))),
        },
        log,
      ),
    );
  }
  if (want('webhooks')) sections.push(await webhookSection(dir, num('BENCH_WEBHOOK_BOOK', 1000), load, log));
  const alternation = {
    rounds: ctx.rounds,
    scaleRounds: ctx.scaleRounds,
    sliceSeconds: ctx.sliceSeconds,
    sliceWarmupSeconds: ctx.sliceWarmupSeconds,
    diskFloor: ctx.diskFloor,
  };
  const summary = { rows, sections, notes, load, warmupSeconds, synchronous, load0, started, alternation } as const;
  log(`\n${writeResults(summary, resultsPath)}${resultsPath ? `\n\nWritten to ${resultsPath}` : ''}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
