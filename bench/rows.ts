import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { type LoadOptions, measure, probe, type Workload } from './load.ts';
import type { Round } from './rounds.ts';
import { buildDist, type Child, cpuSeconds, installedBin, peakRss, resetPeakRss, runChild, startChild } from './processes.ts';
import type { Backend, Row } from './report.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';

// The request rows' machinery: one measured row against a running server, and a custgate server
// on a preloaded store whose every dialect is measured.

/** What every request row of one run shares. */
export interface RowContext {
  readonly load: LoadOptions;
  readonly warmupSeconds: number;
  readonly fixedRate: number;
  readonly postgresUrl: string | undefined;
  readonly registered: readonly AnyDialect[];
  readonly serverEnv: Readonly<Record<string, string | undefined>>;
  /**
   * BENCH_INSTALL: `installed` (the default) runs custgate as `npm install custgate` does
   * (bin/custgate.js over the compiled dist/) and the bench's own servers bundled to JavaScript;
   * `sources` runs both through tsx's loader, as a clone's `npm start` does.
   */
  readonly installed: boolean;
  /** BENCH_CPU_PROF: a directory for custgate's --cpu-prof. */
  readonly cpuProfDir: string | undefined;
  /**
   * BENCH_PRELOAD_DIR: where a preloaded SQLite store is kept and reused by the next run (a
   * 1,000,000-customer preload takes minutes on a busy machine). Each run measures a copy.
   */
  readonly preloadDir: string | undefined;
  readonly rows: Row[];
  /** BENCH_ROUNDS and BENCH_SLICE_SECONDS: how the alternated rows are measured (bench/alternate.ts). */
  readonly rounds: number;
  /**
   * BENCH_SCALE_ROUNDS: the full run's rounds of the large store beside the small one, measured
   * on their own after the other pairs (bench/pairs.ts says why).
   */
  readonly scaleRounds: number;
  readonly sliceSeconds: number;
  /**
   * BENCH_SLICE_WARMUP: seconds of the same requests, unmeasured, before each slice. A server that
   * sat idle while the other sides ran comes back with V8's heap shrunk and cold caches; without
   * it the side that idles longest (the large store's: one slice per dialect) pays that in its slice.
   */
  readonly sliceWarmupSeconds: number;
  /** BENCH_DISK_COMMITS: commits per measurement of the disk's floor; each measurement's p99 (ms) goes to `diskFloor`. */
  readonly diskCommits: number;
  readonly diskFloor: number[];
  readonly notes: string[];
  readonly log: (text: string) => void;
  /** Told the wall-clock window (ms since the epoch) of each measured row, warm-up excluded. */
  readonly onMeasured?: (label: string, startedMs: number, endedMs: number) => void;
}

/** What `row` and an alternated row's slice pass on about the row besides its figures. */
export type RowMeta = Omit<Row, 'label' | 'measured' | 'peakRss' | 'cpuPerRequest'>;

/** One measurement against a running server: its figures, server CPU per request and peak RSS. */
export async function slice(ctx: RowContext, child: Child, url: string, label: string, work: Workload, rate: number | undefined) {
  const options = rate ? { ...ctx.load, rate } : ctx.load;
  const pid = child.process.pid;
  resetPeakRss(pid);
  const cpu0 = cpuSeconds(pid);
  const startedMs = Date.now();
  const measured = await measure(url, work, options);
  ctx.onMeasured?.(label, startedMs, Date.now());
  const cpu1 = cpuSeconds(pid);
  const cpuPerRequest = cpu0 !== undefined && cpu1 !== undefined && measured.total > 0 ? ((cpu1 - cpu0) * 1e6) / measured.total : undefined;
  return { round: { measured, cpuPerRequest } satisfies Round, peakRss: peakRss(pid) };
}

export function logSlice(ctx: RowContext, label: string, { measured, cpuPerRequest }: Round, failure?: string) {
  const cpu = cpuPerRequest === undefined ? '' : `  server CPU ${Math.round(cpuPerRequest)} µs/req`;
  ctx.log(
    `  ${label.padEnd(24)} ${Math.round(measured.rps).toString().padStart(7)} req/s  p50 ${measured.p50.toFixed(2)} ms  p99 ${measured.p99.toFixed(2)} ms  errors ${measured.errors}${cpu}  load ${loadavg()[0]!.toFixed(2)}${failure ? `  (first answer: ${failure})` : ''}`,
  );
}

/** The first answer of a workload when it was not 2xx, so a broken row says why. */
export async function probeFailure(url: string, work: Workload): Promise<string | undefined> {
  const first = await probe(url, work);
  return first.status >= 300 ? `${first.status} ${first.text}` : undefined;
}

export async function row(ctx: RowContext, child: Child, url: string, label: string, work: Workload, meta: RowMeta) {
  const failure = await probeFailure(url, work);
  if (ctx.warmupSeconds > 0) {
    const options = meta.rate ? { ...ctx.load, rate: meta.rate } : ctx.load;
    await measure(url, work, { ...options, durationSeconds: ctx.warmupSeconds });
  }
  const { round, peakRss } = await slice(ctx, child, url, label, work, meta.rate);
  const r: Row = { label, ...meta, ...round, peakRss };
  ctx.rows.push(failure ? { ...r, probeFailure: failure } : r);
  logSlice(ctx, label, round, failure);
}

export interface Server {
  /** What the store is: a fresh SQLite file in `dir`, or a fresh schema on a PostgreSQL URL. */
  readonly backend: Backend;
  readonly customers: number;
  readonly dialects: readonly AnyDialect[];
  readonly retrieve: boolean;
  /** Appended to each row's label. */
  readonly tag?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** Run what an installed package runs (bin/custgate.js beside dist/), not the sources through tsx. */
  readonly compiled?: boolean;
  /** Also measure every dialect's update at the fixed offered load (its p99 is the target). */
  readonly fixedRate?: boolean;
  /** Also the saturating update (and retrieve) rows; false leaves only the fixed-rate ones. */
  readonly saturate?: boolean;
  /** Measure the dialects in this order instead of the registry's (the scale group rotates it). */
  readonly order?: readonly AnyDialect[];
}

interface Preloaded {
  readonly credentials: Record<string, IssuedCredentials>;
  readonly ms: number;
  /** The JWT secret the credentials were issued under (the Bearer-token dialects need the same one). */
  readonly jwtSecret?: string;
}

/**
 * A SQLite store of `customers` in `file`: preloaded by bench/preload.ts, or, with BENCH_PRELOAD_DIR,
 * copied from the store a previous run kept there (the copy keeps the kept one untouched).
 */
async function preloadSqlite(ctx: RowContext, file: string, customers: number, childEnv: Record<string, string | undefined>) {
  const kept = ctx.preloadDir ? join(ctx.preloadDir, `custgate-${customers}.db`) : undefined;
  const keptJson = kept ? `${kept}.json` : undefined;
  if (kept && keptJson && existsSync(kept) && existsSync(keptJson)) {
    const preloaded = JSON.parse(readFileSync(keptJson, 'utf8')) as Preloaded;
    copyFileSync(kept, file);
    return { ...preloaded, reused: true };
  }
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(customers)], childEnv, 15 * 60_000)) as Preloaded;
  if (kept && keptJson) {
    mkdirSync(ctx.preloadDir!, { recursive: true });
    copyFileSync(file, kept);
    // The bench tenant's credentials and the secret they were issued under: a throwaway tenant
    // of a throwaway store, kept readable by the owner only.
    writeFileSync(keptJson, JSON.stringify({ ...preloaded, jwtSecret: childEnv.CUSTGATE_JWT_SECRET }), { mode: 0o600 });
  }
  return { ...preloaded, reused: false };
}

/** A custgate server on a preloaded store, warmed up with every dialect's requests. */
export interface Running {
  readonly child: Child;
  readonly url: string;
  readonly credentials: Readonly<Record<string, IssuedCredentials>>;
  stop(): Promise<void>;
}

/** The credentials the preload issued for a dialect (a bench that finds none is broken, not slow). */
export function credentialsOf(issued: Readonly<Record<string, IssuedCredentials>>, dialect: string): IssuedCredentials {
  const credentials = issued[dialect];
  if (!credentials) throw new Error(`the preload issued no credentials for ${dialect}`);
  return credentials;
}

export async function startCustgate(ctx: RowContext, dir: string, server: Server): Promise<Running> {
  const { customers } = server;
  const { load, warmupSeconds, log } = ctx;
  // Unique per server: the alternated rows keep two stores of one size up at once.
  const file = join(dir, `custgate-${customers}-${randomBytes(4).toString('hex')}.db`);
  const schema = `custgate_bench_${randomBytes(4).toString('hex')}`;
  const store =
    server.backend === 'postgres' ? { DATABASE_URL: ctx.postgresUrl!, CUSTGATE_PG_SCHEMA: schema } : { DATABASE_URL: `file:${file}` };
  const childEnv: Record<string, string | undefined> = { ...ctx.serverEnv, ...store, ...server.env };
  const tag = server.tag ?? '';
  const cleanUp = async () => {
    if (server.backend === 'postgres') {
      const pool = new pg.Pool({ connectionString: ctx.postgresUrl!, max: 1 });
      await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
    }
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  };
  let child: Child | undefined;
  try {
    log(`custgate${tag} with ${customers.toLocaleString('en-US')} customers: preloading…`);
    const preloaded =
      server.backend === 'sqlite'
        ? await preloadSqlite(ctx, file, customers, childEnv)
        : { ...(JSON.parse(await runChild(['bench/preload.ts', String(customers)], childEnv, 15 * 60_000)) as Preloaded), reused: false };
    if (preloaded.jwtSecret) childEnv.CUSTGATE_JWT_SECRET = preloaded.jwtSecret;
    ctx.notes.push(
      preloaded.reused
        ? `${customers.toLocaleString('en-US')} customers${tag}: a copy of the store kept in BENCH_PRELOAD_DIR.`
        : `Preloaded ${customers.toLocaleString('en-US')} customers${tag} (each with its creation event) in ${(preloaded.ms / 1000).toFixed(1)} s.`,
    );
    const profile = ctx.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.cpuProfDir}`] : [];
    const compiled = server.compiled ?? ctx.installed;
    if (compiled) buildDist();
    const entry = compiled ? installedBin(dir) : 'bin/custgate.js';
    child = await startChild(
      [...profile, entry, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo', ...(server.args ?? [])],
      childEnv,
      /listening on/,
      { timeoutMs: 120_000 },
    );
    const url = `http://127.0.0.1:${Number(/:(\d+)/.exec(child.line)?.[1])}`;
    // A fresh process: let the JIT see every dialect's requests before anything is measured.
    for (const dialect of server.order ?? server.dialects) {
      const credentials = preloaded.credentials[dialect.name];
      if (!credentials || warmupSeconds <= 0) continue;
      const i = server.dialects.indexOf(dialect);
      await measure(url, updateWorkload(dialect, credentials, customers, 7 + i), { ...load, durationSeconds: warmupSeconds });
      await measure(url, retrieveWorkload(dialect, credentials, customers, 7 + i), { ...load, durationSeconds: 1 });
    }
    const running = child;
    return {
      child: running,
      url,
      credentials: preloaded.credentials,
      stop: async () => {
        await running.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await child?.stop();
    await cleanUp();
    throw error;
  }
}

export async function custgate(ctx: RowContext, dir: string, server: Server) {
  const { customers } = server;
  const tag = server.tag ?? '';
  const running = await startCustgate(ctx, dir, server);
  const { child, url } = running;
  const measured = server.order ?? server.dialects;
  // The seeds stay the registry's, whatever the order: the same requests in every run.
  const seedOf = (dialect: AnyDialect) => server.dialects.indexOf(dialect);
  try {
    for (const dialect of server.saturate === false ? [] : measured) {
      const credentials = credentialsOf(running.credentials, dialect.name);
      const i = seedOf(dialect);
      const meta = { dialect: dialect.name, customers, backend: server.backend, variant: tag };
      await row(ctx, child, url, `${dialect.name} update${tag}`, updateWorkload(dialect, credentials, customers, customers + i), {
        kind: 'update',
        ...meta,
      });
      if (server.retrieve) {
        await row(ctx, child, url, `${dialect.name} retrieve${tag}`, retrieveWorkload(dialect, credentials, customers, i), {
          kind: 'retrieve',
          ...meta,
        });
      }
    }
    if (server.fixedRate && ctx.fixedRate > 0) {
      const rate = ctx.fixedRate;
      for (const dialect of measured) {
        const meta = { dialect: dialect.name, customers, backend: server.backend, variant: ` (${rate} req/s)`, rate };
        const work = updateWorkload(dialect, credentialsOf(running.credentials, dialect.name), customers, 2 * customers + seedOf(dialect));
        await row(ctx, child, url, `${dialect.name} update${tag} at ${rate} req/s`, work, { kind: 'update', ...meta });
      }
    }
  } finally {
    await running.stop();
  }
}
