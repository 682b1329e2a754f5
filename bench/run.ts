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
// BENCH_RESULTS output file [bench/RESULTS.md], BENCH_RATE fixed offered load of the latency rows
// [500; 0 skips them], BENCH_DATABASE_URL (or TEST_DATABASE_URL) a
// postgres:// URL for the PostgreSQL rows (a fresh schema, dropped after). CUSTGATE_SQLITE_SYNCHRONOUS
// is passed through. Rows: hello-world; every dialect's update and retrieve on SQLite; Wooshpay's
// update with synchronous=NORMAL, with the inline writer, and compiled (dist/, as an installed package runs); Wooshpay on PostgreSQL with --workers 2 and with one process;
// every dialect's update with the large store; the same work written by hand on the same stack
// (bench/by-hand-server.ts: retrieve, update with synchronous=NORMAL and FULL, and on PostgreSQL),
// which every custgate row is compared with; every dialect's update at a fixed offered load
// (BENCH_RATE) for its p99, beside the by-hand update at that rate (bench/load.ts paces it); Stoplight Prism mocking the generated Wooshpay
// OpenAPI document (docs/openapi/wooshpay.json) with the same update requests.
//
// Groups (`npm run bench -- --only requests,migration,backlog,webhooks`, or `postgres` for the PostgreSQL rows of `requests` alone; all but `postgres` by default): the rows
// above are `requests`; the others are sections of their own, each against a baseline of the same
// run — `migration` (bench/migration.ts, BENCH_BOOK [2000]), `backlog` (bench/backlog.ts,
// BENCH_BACKLOG [2000], BENCH_DRAIN_SAMPLE [500], BENCH_BACKLOG_RATE [200], BENCH_BACKLOG_SECONDS
// [10]) and `webhooks` (bench/webhooks.ts, BENCH_WEBHOOK_BOOK [1000], BENCH_CONNECTIONS,
// BENCH_DURATION). With --only, results are printed and written only to BENCH_RESULTS when set.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { dialects } from '../dialects/index.ts';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { type LoadOptions, measure, probe, type Workload } from './load.ts';
import { type Child, cpuSeconds, peakRss, resetPeakRss, root, runChild, startChild } from './processes.ts';
import { type Backend, type Row, table, verdictLines, verdicts } from './report.ts';
import { freePort } from '../test/support/processes.ts';
import { helloWorkload, retrieveWorkload, updateWorkload } from './workloads.ts';
import { type Section, sectionMarkdown } from './gateways.ts';
import { migrationSection } from './migration.ts';
import { backlogSection } from './backlog.ts';
import { webhookSection } from './webhooks.ts';

const env = process.env;
const num = (name: string, fallback: number) => (env[name] === undefined || env[name] === '' ? fallback : Number(env[name]));
const load: LoadOptions = { connections: num('BENCH_CONNECTIONS', 32), durationSeconds: num('BENCH_DURATION', 10) };
const warmupSeconds = num('BENCH_WARMUP', 3);
const sizes = [num('BENCH_SMALL', 1000), num('BENCH_LARGE', 1_000_000)].filter((n) => n > 0);
const only = env.BENCH_DIALECTS?.split(',').filter(Boolean);
const registered: AnyDialect[] = Object.values(dialects).filter((d) => !only || only.includes(d.name));
// `npm run bench -- --only migration,backlog`: some groups only, printed (and written to BENCH_RESULTS
// when set; bench/RESULTS.md keeps the last whole run).
// `postgres` is the PostgreSQL rows of `requests` alone (hello-world, by hand on pg, custgate on
// PostgreSQL), for before/after figures of the PostgreSQL path without the SQLite rows.
const groups = ['requests', 'postgres', 'migration', 'backlog', 'webhooks'] as const;
const onlyArg = parseArgs({ options: { only: { type: 'string' } } }).values.only;
const chosen = onlyArg?.split(',').filter(Boolean) ?? groups.filter((g) => g !== 'postgres');
const unknownGroup = chosen.find((g) => !(groups as readonly string[]).includes(g));
if (unknownGroup) throw new Error(`--only ${unknownGroup}: the groups are ${groups.join(', ')}`);
const want = (group: (typeof groups)[number]) => chosen.includes(group);
const resultsPath = env.BENCH_RESULTS ?? (onlyArg ? undefined : join(root, 'bench', 'RESULTS.md'));
const book = num('BENCH_BOOK', 2000);
const sections: Section[] = [];
const synchronous = env.CUSTGATE_SQLITE_SYNCHRONOUS === 'normal' ? 'NORMAL' : 'FULL';
const fixedRate = num('BENCH_RATE', 500);
const postgresUrl = [env.BENCH_DATABASE_URL, env.TEST_DATABASE_URL].find((url) => url?.startsWith('postgres'));

const serverEnv = {
  NODE_ENV: 'production',
  CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
  PORT: undefined,
  HOST: undefined,
};

const rows: Row[] = [];
const notes: string[] = [];
const log = (text: string) => process.stdout.write(`${text}\n`);
const load0 = loadavg();
const started = Date.now();

async function row(
  child: Child,
  url: string,
  label: string,
  work: Workload,
  meta: Omit<Row, 'label' | 'measured' | 'peakRss' | 'cpuPerRequest'>,
) {
  const first = await probe(url, work);
  const options = meta.rate ? { ...load, rate: meta.rate } : load;
  if (warmupSeconds > 0) await measure(url, work, { ...options, durationSeconds: warmupSeconds });
  const pid = child.process.pid;
  resetPeakRss(pid);
  const cpu0 = cpuSeconds(pid);
  const measured = await measure(url, work, options);
  const cpu1 = cpuSeconds(pid);
  const cpuPerRequest = cpu0 !== undefined && cpu1 !== undefined && measured.total > 0 ? ((cpu1 - cpu0) * 1e6) / measured.total : undefined;
  const r: Row = { label, ...meta, measured, peakRss: peakRss(pid), cpuPerRequest };
  const failure = first.status >= 300 ? `${first.status} ${first.text}` : undefined;
  rows.push(failure ? { ...r, probeFailure: failure } : r);
  const cpu = cpuPerRequest === undefined ? '' : `  server CPU ${Math.round(cpuPerRequest)} µs/req`;
  log(
    `  ${label.padEnd(24)} ${Math.round(measured.rps).toString().padStart(7)} req/s  p50 ${measured.p50.toFixed(2)} ms  p99 ${measured.p99.toFixed(2)} ms  errors ${measured.errors}${cpu}  load ${loadavg()[0]!.toFixed(2)}${failure ? `  (first answer: ${failure})` : ''}`,
  );
}

async function hello() {
  log('hello-world (bare Hono on @hono/node-server)');
  const child = await startChild(['--import', 'tsx', 'bench/hello-server.ts'], {}, /"port"/, { timeoutMs: 60_000 });
  try {
    const { port } = JSON.parse(child.line) as { port: number };
    await row(child, `http://127.0.0.1:${port}`, 'hello-world', helloWorkload, { kind: 'baseline' });
  } finally {
    await child.stop();
  }
}

/** The same work written by hand (issue #30): the baseline custgate's rows are compared with. */
async function byHand(dir: string, customers: number, backends: readonly Backend[] = ['sqlite', 'postgres']) {
  const wooshpay = registered.find((d) => d.name === 'wooshpay');
  if (!wooshpay) return;
  const key = `sk_test_${randomBytes(12).toString('hex')}`;
  const credentials = { secret_key: key } as unknown as IssuedCredentials;
  const runs: { tag: string; args: string[]; retrieve: boolean; backend: Backend }[] = [
    { tag: 'sync=NORMAL', args: ['sqlite', join(dir, 'by-hand-normal.db'), 'normal'], retrieve: true, backend: 'sqlite' },
    { tag: 'sync=FULL', args: ['sqlite', join(dir, 'by-hand-full.db'), 'full'], retrieve: false, backend: 'sqlite' },
  ];
  const schema = `custgate_byhand_${randomBytes(4).toString('hex')}`;
  if (postgresUrl) runs.push({ tag: 'PostgreSQL', args: ['postgres', postgresUrl, schema], retrieve: true, backend: 'postgres' });
  for (const run of runs.filter((r) => backends.includes(r.backend))) {
    log(`the same work by hand (${run.tag}) with ${customers.toLocaleString('en-US')} customers`);
    const child = await startChild(
      ['--import', 'tsx', 'bench/by-hand-server.ts', String(customers), ...run.args],
      { BENCH_BY_HAND_KEY: key },
      /"port"/,
      {
        timeoutMs: 300_000,
      },
    );
    try {
      const { port } = JSON.parse(child.line) as { port: number };
      const url = `http://127.0.0.1:${port}`;
      const meta = { kind: 'by-hand', dialect: 'wooshpay', customers, backend: run.backend } as const;
      if (warmupSeconds > 0)
        await measure(url, updateWorkload(wooshpay, credentials, customers, 3), { ...load, durationSeconds: warmupSeconds });
      await row(child, url, `by hand update (${run.tag})`, updateWorkload(wooshpay, credentials, customers, 5), meta);
      if (run.retrieve) await row(child, url, `by hand retrieve (${run.tag})`, retrieveWorkload(wooshpay, credentials, customers, 5), meta);
      // The machine's floor for the fixed-rate p99: the same updates by hand at the same rate.
      if (fixedRate > 0)
        await row(child, url, `by hand update (${run.tag}) at ${fixedRate} req/s`, updateWorkload(wooshpay, credentials, customers, 6), {
          ...meta,
          rate: fixedRate,
        });
    } finally {
      await child.stop();
    }
  }
  if (postgresUrl) {
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
  }
}

interface Server {
  /** What the store is: a fresh SQLite file in `dir`, or a fresh schema on a PostgreSQL URL. */
  readonly backend: Backend;
  readonly customers: number;
  readonly dialects: readonly AnyDialect[];
  readonly retrieve: boolean;
  /** Appended to each row's label. */
  readonly tag?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** Run the compiled JavaScript an installed package runs (dist/), not the sources through tsx. */
  readonly compiled?: boolean;
  /** Also measure every dialect's update at the fixed offered load (its p99 is the target). */
  readonly fixedRate?: boolean;
}

/**
 * Stoplight Prism mocking the project's own Wooshpay OpenAPI document (docs/openapi/, issue #20):
 * what many would otherwise run locally as a stateless mock of the same API.
 */
async function prism() {
  const wooshpay = registered.find((d) => d.name === 'wooshpay');
  if (!wooshpay) return;
  const document = join(root, 'docs', 'openapi', 'wooshpay.json');
  const cli = join(root, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
  if (!existsSync(document) || !existsSync(cli)) {
    notes.push('No Prism row: docs/openapi/wooshpay.json or @stoplight/prism-cli is missing.');
    return;
  }
  log('Stoplight Prism mocking docs/openapi/wooshpay.json');
  const port = await freePort();
  const child = await startChild([cli, 'mock', '-h', '127.0.0.1', '-p', String(port), document], {}, /listening on/i, {
    timeoutMs: 120_000,
  });
  try {
    // Prism checks only that a credential of the declared scheme is present.
    const credentials = { secret_key: 'sk_test_prismbenchmark' } as unknown as IssuedCredentials;
    await row(child, `http://127.0.0.1:${port}`, 'wooshpay update (Prism mock)', updateWorkload(wooshpay, credentials, 1000, 3), {
      kind: 'mock',
      dialect: 'wooshpay',
    });
  } finally {
    await child.stop();
  }
}

async function custgate(dir: string, server: Server) {
  const { customers } = server;
  const file = join(dir, `custgate-${customers}.db`);
  const schema = `custgate_bench_${randomBytes(4).toString('hex')}`;
  const store =
    server.backend === 'postgres' ? { DATABASE_URL: postgresUrl!, CUSTGATE_PG_SCHEMA: schema } : { DATABASE_URL: `file:${file}` };
  const childEnv = { ...serverEnv, ...store, ...server.env };
  const tag = server.tag ?? '';
  log(`custgate${tag} with ${customers.toLocaleString('en-US')} customers: preloading…`);
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(customers)], childEnv, 15 * 60_000)) as {
    credentials: Record<string, IssuedCredentials>;
    ms: number;
  };
  notes.push(
    `Preloaded ${customers.toLocaleString('en-US')} customers${tag} (each with its creation event) in ${(preloaded.ms / 1000).toFixed(1)} s.`,
  );
  const profile = env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] : [];
  const entry = server.compiled ? 'dist/src/entries/cli.js' : 'bin/custgate.js';
  const child = await startChild(
    [...profile, entry, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo', ...(server.args ?? [])],
    childEnv,
    /listening on/,
    { timeoutMs: 120_000 },
  );
  try {
    const port = Number(/:(\d+)/.exec(child.line)?.[1]);
    const url = `http://127.0.0.1:${port}`;
    // A fresh process: let the JIT see every dialect's requests before anything is measured.
    for (const [i, dialect] of server.dialects.entries()) {
      const credentials = preloaded.credentials[dialect.name];
      if (!credentials || warmupSeconds <= 0) continue;
      await measure(url, updateWorkload(dialect, credentials, customers, 7 + i), { ...load, durationSeconds: warmupSeconds });
      await measure(url, retrieveWorkload(dialect, credentials, customers, 7 + i), { ...load, durationSeconds: 1 });
    }
    for (const [i, dialect] of server.dialects.entries()) {
      const credentials = preloaded.credentials[dialect.name];
      if (!credentials) throw new Error(`the preload issued no credentials for ${dialect.name}`);
      const meta = { dialect: dialect.name, customers, backend: server.backend, variant: tag };
      await row(child, url, `${dialect.name} update${tag}`, updateWorkload(dialect, credentials, customers, customers + i), {
        kind: 'update',
        ...meta,
      });
      if (server.retrieve) {
        await row(child, url, `${dialect.name} retrieve${tag}`, retrieveWorkload(dialect, credentials, customers, i), {
          kind: 'retrieve',
          ...meta,
        });
      }
    }
    if (server.fixedRate && fixedRate > 0) {
      for (const [i, dialect] of server.dialects.entries()) {
        const credentials = preloaded.credentials[dialect.name]!;
        const meta = { dialect: dialect.name, customers, backend: server.backend, variant: ` (${fixedRate} req/s)`, rate: fixedRate };
        await row(
          child,
          url,
          `${dialect.name} update${tag} at ${fixedRate} req/s`,
          updateWorkload(dialect, credentials, customers, 2 * customers + i),
          {
            kind: 'update',
            ...meta,
          },
        );
      }
    }
  } finally {
    await child.stop();
    if (server.backend === 'postgres') {
      const pool = new pg.Pool({ connectionString: postgresUrl!, max: 1 });
      await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
    }
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  }
}

function writeResults(): string {
  const { text, markdown } = table(rows);
  const verdictList = verdicts(rows);
  const unmet = verdictList.filter((v) => !v.met);
  const cpu = cpus();
  const load1 = loadavg();
  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const failures = rows.filter((r) => r.probeFailure).map((r) => `- ${r.label}: first answer ${r.probeFailure}`);
  const sectionVerdicts = sections.flatMap((x) => x.verdicts.map((v) => ({ ...v, subject: x.title })));
  const md = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s).`,
    '',
    `- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}/${process.arch}.`,
    `- Load average (1/5/15 min) before: ${fmtLoad(load0)}; after: ${fmtLoad(load1)}. The load generator shares the CPUs with the server.`,
    `- Every row: ${load.connections} connections, ${load.durationSeconds} s measured after ${warmupSeconds} s of the same requests as warm-up; autocannon in the bench process, each server in its own process on 127.0.0.1.`,
    `- custgate: \`bin/custgate.js serve\`, NODE_ENV=production, SQLite synchronous=${synchronous}, a fresh file per store size. Updates and retrieves are spread uniformly over the stored customers; each update sends the dialect's realistic example body with a new name, so every one writes.`,
    ...notes.map((n) => `- ${n}`),
    '- × by hand: req/s over the same work written by hand on the same stack in this run (bench/by-hand-server.ts): a retrieve over the by-hand retrieve, an update over the by-hand update with synchronous=NORMAL (SQLite) or on PostgreSQL.',
    "- Other ratios are to the hello-world row of the same run; p50/p99 are latencies in ms; peak RSS is the server process's high-water mark during the row; server CPU is the server process's user+system time per request (less sensitive to a busy machine than req/s).",
    '',
    '## Results',
    '',
    markdown,
    '',
    '## Targets',
    '',
    unmet.length === 0 ? 'Every target met.' : `${unmet.length} target(s) not met.`,
    '',
    ...verdictLines(verdictList),
    ...(failures.length > 0 ? ['', '## Failed rows', '', ...failures] : []),
    '',
    ...sections.map(sectionMarkdown),
  ].join('\n');
  if (resultsPath) writeFileSync(resultsPath, md);
  const sectionText = sections.map(sectionMarkdown).join('\n');
  const unmetSections = sectionVerdicts.filter((v) => !v.met).length;
  return `${rows.length > 0 ? `${text}\n\n${verdictLines(verdictList).join('\n')}\n\n` : ''}${sectionText}${unmetSections > 0 ? `\n${unmetSections} target(s) of the sections above not met.` : ''}`;
}

/** custgate on PostgreSQL, Wooshpay only: with --workers 2 and with one process. */
async function postgresRows(dir: string, customers: number) {
  const wooshpay = registered.filter((d) => d.name === 'wooshpay');
  if (!postgresUrl || wooshpay.length === 0) {
    notes.push('No PostgreSQL rows: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a postgres:// URL to add them.');
    return;
  }
  const pg2 = { backend: 'postgres', customers, dialects: wooshpay, env: { CUSTGATE_PG_POOL_SIZE: '8' } } as const;
  await custgate(dir, { ...pg2, retrieve: true, tag: ' (PostgreSQL, --workers 2)', args: ['--workers', '2'] });
  await custgate(dir, { ...pg2, retrieve: true, tag: ' (PostgreSQL, 1 process)' });
}

/** The request rows: hello-world, Prism, by hand, and custgate's update/retrieve rows. */
async function requestRows(dir: string) {
  log(`custgate bench: ${registered.map((d) => d.name).join(', ')}; ${load.connections} connections, ${load.durationSeconds} s per row`);
  await hello();
  await prism();
  const [small, large] = sizes;
  const wooshpay = registered.filter((d) => d.name === 'wooshpay');
  if (small !== undefined) {
    await byHand(dir, small);
    await custgate(dir, { backend: 'sqlite', customers: small, dialects: registered, retrieve: true, fixedRate: true });
    // The price of power-loss durability: the same updates with synchronous=NORMAL.
    if (wooshpay.length > 0 && synchronous === 'FULL') {
      await custgate(dir, {
        backend: 'sqlite',
        customers: small,
        dialects: wooshpay,
        retrieve: false,
        tag: ' (sync=NORMAL)',
        env: { CUSTGATE_SQLITE_SYNCHRONOUS: 'normal' },
      });
    }
    // The other write path (docs/performance.md): commits on the event loop instead of the writer thread.
    if (wooshpay.length > 0) {
      await custgate(dir, {
        backend: 'sqlite',
        customers: small,
        dialects: wooshpay,
        retrieve: false,
        tag: ' (inline writer)',
        env: { CUSTGATE_SQLITE_WRITER: 'inline' },
      });
    }
    // What an installed package runs: the compiled JavaScript, without tsx's loader in memory.
    if (wooshpay.length > 0) {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
      await custgate(dir, {
        backend: 'sqlite',
        customers: small,
        dialects: wooshpay,
        retrieve: true,
        tag: ' (compiled dist)',
        compiled: true,
      });
    }
    await postgresRows(dir, small);
  }
  if (large !== undefined && large !== small)
    await custgate(dir, { backend: 'sqlite', customers: large, dialects: registered, retrieve: false });
}

const dir = mkdtempSync(join(tmpdir(), 'custgate-bench-'));
try {
  if (want('requests')) await requestRows(dir);
  else if (want('postgres') && sizes[0] !== undefined) {
    await hello();
    await byHand(dir, sizes[0], ['postgres']);
    await postgresRows(dir, sizes[0]);
  }
  if (want('migration')) sections.push(await migrationSection(dir, book, log));
  if (want('backlog')) {
    const backlog = { backlog: num('BENCH_BACKLOG', 2000), sample: num('BENCH_DRAIN_SAMPLE', 500), rate: num('BENCH_BACKLOG_RATE', 200) };
    sections.push(await backlogSection(dir, { ...backlog, seconds: num('BENCH_BACKLOG_SECONDS', 10) }, log));
  }
  if (want('webhooks')) sections.push(await webhookSection(dir, num('BENCH_WEBHOOK_BOOK', 1000), load, log));
  log(`\n${writeResults()}${resultsPath ? `\n\nWritten to ${resultsPath}` : ''}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
