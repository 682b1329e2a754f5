// `npm run bench:stages`: where a request's CPU goes, stage by stage (issue #30's budget).
//
// custgate runs as `npm start` does, with V8's sampling profiler on (--cpu-prof), once for
// retrieves and once for updates of one dialect, after the same warm-up as `npm run bench`. Each
// sample is charged to the innermost frame that belongs to a stage (routing, auth, body decoding,
// validation, mapping and render, core, store, upstream look-up, webhooks, logging, metrics, the
// response through @hono/node-server); what runs below such a frame (JSON.stringify, a Node
// internal, a native call) counts for the stage that called it. Samples with no stage on the stack
// are Node's HTTP server and sockets, the garbage collector, or the runtime. The table gives each
// stage's share and its µs per request (share × the process's CPU time ÷ requests served).
//
// Knobs: BENCH_STAGES_DIALECT [wooshpay], BENCH_STAGES_KINDS [retrieve,update], BENCH_DURATION seconds per kind [10], BENCH_WARMUP [3],
// BENCH_CONNECTIONS [32], BENCH_SMALL customers [1000], BENCH_DATABASE_URL a postgres:// URL to
// profile on PostgreSQL instead of SQLite, BENCH_STAGES_BY_HAND=1 to profile the by-hand app
// (bench/by-hand-server.ts, SQLite NORMAL) with the same requests and table, BENCH_STAGES_KEEP=<path
// prefix> to keep each profile as <prefix>-<kind>.cpuprofile. A profiler costs CPU of its own: compare
// shares, and take absolute figures from `npm run bench`.

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { measure, type Workload } from './load.ts';
import { cpuSeconds, runChild, startChild } from './processes.ts';
import { credentialsOf } from './rows.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';
import { dialectKnob, numberKnob } from './knobs.ts';

const env = process.env;
const num = numberKnob;
const dialect = dialectKnob('BENCH_STAGES_DIALECT');
const customers = num('BENCH_SMALL', 1000);
const load = { connections: num('BENCH_CONNECTIONS', 32), durationSeconds: num('BENCH_DURATION', 10) };
const warmup = num('BENCH_WARMUP', 3);
const now = () => Number(process.hrtime.bigint() / 1000n);

/** Stages in the order a request meets them; the first rule whose pattern matches a frame's URL wins. */
const stages = [
  ['response (@hono/node-server)', /\/node_modules\/@hono\/node-server\//],
  ['routing (hono)', /\/node_modules\/hono\//],
  ['auth', /\/src\/auth\/|\/src\/http\/authenticate\.ts|\/dialects\/[^/]+\/auth\.ts|\/node_modules\/jose\//],
  ['body decoding', /\/src\/contract\/body\.ts|\/node_modules\/qs\//],
  ['validation', /\/node_modules\/valibot\/|\/dialects\/[^/]+\/request\.ts|\/src\/contract\/validate\.ts|\/schemas\//],
  ['mapping and render', /\/dialects\//],
  ['upstream look-up', /\/src\/upstream\//],
  ['webhooks', /\/src\/webhooks\//],
  ['core', /\/src\/core\//],
  [
    'store',
    /\/src\/store\/|\/node_modules\/kysely\/|\/node_modules\/better-sqlite3\/|\/node_modules\/pg[a-z-]*\/|\/node_modules\/postgres-[a-z]*\//,
  ],
  ['logging', /\/src\/http\/access\.ts|\/src\/http\/request-log\.ts|\/src\/entries\/node\.ts/],
  ['metrics', /\/src\/metrics\.ts/],
  ['http pipeline (other src/http)', /\/src\/http\//],
  ['other custgate code', /\/src\/|\/bin\//],
  // BENCH_STAGES_BY_HAND: its handler, with the better-sqlite3 calls it makes (native, charged to it).
  ['the by-hand app', /\/bench\/by-hand-server\.ts/],
] as const satisfies readonly (readonly [string, RegExp])[];

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds on the monotonic clock, the one process.hrtime reads on Linux. */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Microseconds of samples per stage, counting only samples taken inside `window` (µs, monotonic). */
function attribute(profile: Profile, window: readonly [number, number]): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOf.get(id);
    if (known) return known;
    const frame = byId.get(id)!.callFrame;
    let stage: string | undefined;
    if (frame.functionName === '(garbage collector)') stage = 'garbage collector';
    else if (frame.functionName === '(idle)') stage = 'idle';
    else if (frame.functionName === '(program)') stage = 'runtime (program)';
    else stage = stages.find(([, pattern]) => pattern.test(frame.url))?.[0];
    if (!stage) {
      const up = parent.get(id);
      stage = up === undefined ? 'Node HTTP server, sockets, event loop' : classify(up);
    }
    stageOf.set(id, stage);
    return stage;
  };
  const totals = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < window[0] || at > window[1]) return;
    const stage = classify(id);
    totals.set(stage, (totals.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0));
    if (top > 0) {
      const frame = byId.get(id)!.callFrame;
      const key = `${stage} ← ${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|src|dialects)\//, '$1/')}`;
      frames.set(key, (frames.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
  });
  return totals;
}

/** BENCH_STAGES_BY_HAND=1: profile the by-hand app (bench/by-hand-server.ts, NORMAL) instead, the same requests. */
const byHandKey = env.BENCH_STAGES_BY_HAND === '1' ? `sk_test_${randomBytes(12).toString('hex')}` : undefined;

/** BENCH_STAGES_TOP=n: also list the n frames with the most samples of their own, with their stage. */
const top = num('BENCH_STAGES_TOP', 0);
const frames = new Map<string, number>();

async function profiled(kind: 'retrieve' | 'update', given: IssuedCredentials, childEnv: Record<string, string | undefined>) {
  const dir = mkdtempSync(join(tmpdir(), 'custgate-stages-'));
  const child = byHandKey
    ? await startChild(
        [
          '--cpu-prof',
          `--cpu-prof-dir=${dir}`,
          '--import',
          'tsx',
          'bench/by-hand-server.ts',
          String(customers),
          'sqlite',
          join(dir, 'by-hand.db'),
          'normal',
        ],
        { BENCH_BY_HAND_KEY: byHandKey },
        /"port"/,
        { timeoutMs: 120_000 },
      )
    : await startChild(
        ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'bin/custgate.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'],
        childEnv,
        /listening on/,
        { timeoutMs: 120_000 },
      );
  let served = 0;
  let cpu = 0;
  const credentials = byHandKey ? ({ secret_key: byHandKey } as unknown as IssuedCredentials) : given;
  // Start-up, module loading and the warm-up are in the profile too; only the measured run counts.
  let window: [number, number] = [0, 0];
  try {
    const url = `http://127.0.0.1:${Number(/:(\d+)/.exec(child.line)?.[1])}`;
    const work: Workload =
      kind === 'update' ? updateWorkload(dialect!, credentials, customers, 11) : retrieveWorkload(dialect!, credentials, customers, 11);
    if (warmup > 0) await measure(url, work, { ...load, durationSeconds: warmup });
    const pid = child.process.pid;
    const cpu0 = cpuSeconds(pid) ?? 0;
    const from = now();
    const measured = await measure(url, work, load);
    window = [from, now()];
    cpu = (cpuSeconds(pid) ?? 0) - cpu0;
    served = measured.total;
  } finally {
    await child.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('custgate wrote no CPU profile (did it exit cleanly on SIGTERM?)');
  const totals = attribute(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, window);
  if (env.BENCH_STAGES_KEEP) copyFileSync(join(dir, file), `${env.BENCH_STAGES_KEEP}-${kind}.cpuprofile`);
  rmSync(dir, { recursive: true, force: true });
  totals.delete('idle');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  const perRequest = served > 0 ? (cpu * 1e6) / served : 0;
  const lines = [
    `### ${dialect!.name} ${kind}: ${served.toLocaleString('en-US')} requests, ${perRequest.toFixed(0)} µs of CPU per request`,
    '',
    '| stage | share | µs per request |',
    '|---|---:|---:|',
    ...[...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([stage, us]) => `| ${stage} | ${((100 * us) / busy).toFixed(1)} % | ${((us / busy) * perRequest).toFixed(1)} |`),
    '',
  ];
  if (top > 0) {
    const heaviest = [...frames.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    lines.push(...heaviest.map(([key, us]) => `- ${((100 * us) / busy).toFixed(1)} % ${key}`), '');
    frames.clear();
  }
  return lines.join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'custgate-stages-db-'));
// On PostgreSQL (BENCH_DATABASE_URL=postgres://…): a fresh schema, dropped after.
const postgresUrl = env.BENCH_DATABASE_URL?.startsWith('postgres') ? env.BENCH_DATABASE_URL : undefined;
const schema = `custgate_stages_${randomBytes(4).toString('hex')}`;
try {
  const childEnv = {
    NODE_ENV: 'production',
    CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: postgresUrl ?? `file:${join(dir, 'stages.db')}`,
    ...(postgresUrl ? { CUSTGATE_PG_SCHEMA: schema } : {}),
    PORT: undefined,
    HOST: undefined,
  };
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(customers)], childEnv, 15 * 60_000)) as {
    credentials: Record<string, IssuedCredentials>;
  };
  const credentials = credentialsOf(preloaded.credentials, dialect.name);
  const kinds = (env.BENCH_STAGES_KINDS ?? 'retrieve,update')
    .split(',')
    .filter((k): k is 'retrieve' | 'update' => k === 'retrieve' || k === 'update');
  for (const kind of kinds) process.stdout.write(`${await profiled(kind, credentials, childEnv)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (postgresUrl) {
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
  }
}
