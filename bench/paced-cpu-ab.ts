import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { registry } from '../dialects/index.ts';
import { dialectList } from '../src/contract/registry.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { measure } from './load.ts';
import { root, runChild } from './processes.ts';
import { updateWorkload } from './workloads.ts';

// `npx tsx bench/paced-cpu-ab.ts`: the server's CPU per update at a fixed rate (issue #30), two
// servers alternated in one run (A/B/B/A…), each thread's CPU and context switches per update read
// from /proc, so a loaded machine's noise falls on both sides alike. A is the checkout at
// AB_ROOT_A (default: this one), B this checkout; AB_ENV_A / AB_ENV_B (JSON) add environment to
// either (CUSTGATE_REQUEST_TRACE, a checkpoint mode…), AB_NODE_ARGS_A / AB_NODE_ARGS_B node's own
// arguments (`--cpu-prof --cpu-prof-dir=…`, which profiles the writer thread too). Knobs: AB_RATE [500; 0 saturates
// with 32 connections], AB_SECONDS [5] per slice, AB_ROUNDS [4], AB_CUSTOMERS [1000], AB_STORE (a store the bench
// kept, BENCH_PRELOAD_DIR's `custgate-<n>.db` beside its `.json`, instead of a fresh preload; set AB_CUSTOMERS to
// its count). Both run from their sources (bin/custgate.js, tsx).

const env = process.env;
const rate = Number(env.AB_RATE ?? 500);
const seconds = Number(env.AB_SECONDS ?? 5);
const rounds = Number(env.AB_ROUNDS ?? 4);
const customers = Number(env.AB_CUSTOMERS ?? 1000);
const sides = [
  {
    name: 'A',
    root: env.AB_ROOT_A ?? root,
    extra: JSON.parse(env.AB_ENV_A ?? '{}') as Record<string, string>,
    args: (env.AB_NODE_ARGS_A ?? '').split(' ').filter(Boolean),
  },
  {
    name: 'B',
    root,
    extra: JSON.parse(env.AB_ENV_B ?? '{}') as Record<string, string>,
    args: (env.AB_NODE_ARGS_B ?? '').split(' ').filter(Boolean),
  },
];

interface Thread {
  readonly name: string;
  readonly cpu: number;
  readonly system: number;
  readonly switches: number;
}

/** Each thread of `pid`: its name (the main thread is `main`), CPU seconds and context switches so far. */
function threads(pid: number): Map<string, Thread> {
  const found = new Map<string, Thread>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const switches = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const name = Number(tid) === pid ? 'main' : `${comm}#${tid}`;
      found.set(tid, { name, cpu: (Number(fields[11]) + Number(fields[12])) / 100, system: Number(fields[12]) / 100, switches });
    } catch {
      // The thread ended.
    }
  }
  return found;
}

const dir = mkdtempSync(join(tmpdir(), 'custgate-cpu-ab-'));
const children: ChildProcess[] = [];
try {
  // AB_STORE: a store kept by the bench (BENCH_PRELOAD_DIR's `custgate-<n>.db` beside its `.json`), copied for each side.
  const kept = env.AB_STORE;
  const base = kept ?? join(dir, 'base.db');
  const keptInfo = kept
    ? (JSON.parse(readFileSync(`${kept}.json`, 'utf8')) as { credentials: Record<string, IssuedCredentials>; jwtSecret: string })
    : undefined;
  const jwt = keptInfo?.jwtSecret ?? randomBytes(32).toString('hex');
  const serverEnv = { NODE_ENV: 'production', CUSTGATE_JWT_SECRET: jwt, PORT: undefined, HOST: undefined };
  const preloaded =
    keptInfo ??
    (JSON.parse(await runChild(['bench/preload.ts', String(customers)], { ...serverEnv, DATABASE_URL: `file:${base}` }, 600_000)) as {
      credentials: Record<string, IssuedCredentials>;
    });
  const wooshpay = dialectList(registry).find((d) => d.name === 'wooshpay')!;
  const running = [];
  for (const side of sides) {
    const file = join(dir, `${side.name}.db`);
    copyFileSync(base, file);
    const child = spawn(
      process.execPath,
      [...side.args, join(side.root, 'bin', 'custgate.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'],
      {
        cwd: side.root,
        env: { ...process.env, ...serverEnv, DATABASE_URL: `file:${file}`, ...side.extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const read = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on \S*:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      };
      // The access log on stdout, the start line on stderr: either may carry it.
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('exit', (code) => reject(new Error(`${side.name} exited with ${code}: ${out}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    // Warm: the JIT, the caches, the writer thread.
    await measure(url, updateWorkload(wooshpay, preloaded.credentials.wooshpay!, customers, 3), {
      connections: 32,
      durationSeconds: 3,
      rate,
    });
    running.push({ ...side, pid: child.pid!, url, rows: [] as { perUpdate: Map<string, unknown>; total: number }[] });
  }
  let seed = 100;
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? running : [...running].reverse()) {
      const before = threads(side.pid);
      const m = await measure(side.url, updateWorkload(wooshpay, preloaded.credentials.wooshpay!, customers, seed++), {
        connections: 32,
        durationSeconds: seconds,
        rate,
      });
      const after = threads(side.pid);
      const perUpdate = new Map<string, { cpu: number; system: number; switches: number }>();
      let total = 0;
      for (const [tid, t] of after) {
        const b = before.get(tid) ?? { cpu: 0, system: 0, switches: 0 };
        // Each thread apart (Node names them all `node`): the writer and the checkpointer are the busy ones.
        perUpdate.set(t.name, {
          cpu: ((t.cpu - b.cpu) * 1e6) / m.total,
          system: ((t.system - b.system) * 1e6) / m.total,
          switches: (t.switches - b.switches) / m.total,
        });
        total += ((t.cpu - b.cpu) * 1e6) / m.total;
      }
      side.rows.push({ perUpdate, total });
      const parts = [...perUpdate]
        .filter(([, v]) => v.cpu >= 20 || v.switches > 0.2)
        .map(([k, v]) => `${k} ${v.cpu.toFixed(0)} µs (sys ${v.system.toFixed(0)}), ${v.switches.toFixed(2)} sw`);
      process.stdout.write(
        `round ${round + 1} ${side.name}: ${m.total} updates, ${m.rps.toFixed(0)}/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, errors ${m.errors}; CPU ${total.toFixed(0)} µs/update (${parts.join(', ')}); load ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  }
  for (const side of running) {
    const totals = side.rows.map((r) => r.total).sort((a, b) => a - b);
    process.stdout.write(
      `${side.name}: CPU per update by round ${side.rows.map((r) => r.total.toFixed(0)).join(', ')} µs; median ${totals[Math.floor(totals.length / 2)]!.toFixed(0)}\n`,
    );
  }
} finally {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
}
