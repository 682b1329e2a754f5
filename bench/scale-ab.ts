// `node --import tsx bench/scale-ab.ts <small.db> <large.db> [rounds] [per-block] > /dev/null`: where a
// large store's extra cost per request goes (issue #30), without the network and in one process.
//
// Two gateways, built as `npm start` builds them, each over a copy of a preloaded store (bench/preload.ts,
// BENCH_PRELOAD_DIR; `<store>.json` beside each holds its credentials), take Wooshpay's (or SCALE_AB_DIALECT's) updates
// and retrieves through `app.request`, 16 in flight, in blocks that alternate small / large, so the
// machine's load moves both alike. Per block, from /proc/self/task/*: the main thread's CPU
// (schedstat, ns) and read system calls (io), and the same for every other thread together (the
// writer threads and V8's helpers; the idle gateway's writer does nothing meanwhile). The store's
// own reads are also counted by statement (main thread, `Database.prototype.prepare` wrapped).
//
// A seed fixes the customers and the names written to them, in order: a second run with the same
// seed over the same copy writes every customer the name it already has, and those no-op updates
// write nothing. Take a fresh copy or a new seed (SCALE_AB_SEEDS) for each run.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { dialects } from '../dialects/index.ts';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { inProcessGateway } from './in-process.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';

const [smallFile, largeFile, roundsText = '4', blockText = '2000'] = process.argv.slice(2);
if (!smallFile || !largeFile) throw new Error('usage: scale-ab.ts <small.db> <large.db> [rounds] [per-block]');

// Main-thread statement runs and their time, by SQL text.
const statements = new Map<string, { runs: number; ns: bigint }>();
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: Database.Database, source: string) {
  const statement = prepare.call(this, source) as Database.Statement;
  for (const method of ['all', 'get', 'run'] as const) {
    const original = statement[method] as (...args: unknown[]) => unknown;
    (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const started = process.hrtime.bigint();
      try {
        return original.apply(statement, args);
      } finally {
        const entry = statements.get(source) ?? { runs: 0, ns: 0n };
        entry.runs++;
        entry.ns += process.hrtime.bigint() - started;
        statements.set(source, entry);
      }
    };
  }
  return statement;
} as typeof prepare;

type Threads = { mainNs: number; otherNs: number; mainReads: number; otherReads: number; mainSys: number; mainFaults: number };
function threads(): Threads {
  const t: Threads = { mainNs: 0, otherNs: 0, mainReads: 0, otherReads: 0, mainSys: 0, mainFaults: 0 };
  for (const tid of readdirSync('/proc/self/task')) {
    let ns = 0;
    let reads = 0;
    try {
      ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      reads = Number(/syscr: (\d+)/.exec(readFileSync(`/proc/self/task/${tid}/io`, 'utf8'))?.[1] ?? 0);
    } catch {
      continue;
    }
    if (tid === String(process.pid)) {
      t.mainNs += ns;
      t.mainReads += reads;
      // /proc/<tid>/stat after the command's closing parenthesis: minflt is the 8th field, stime the 13th (clock ticks).
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      t.mainFaults += Number(fields[7] ?? 0);
      t.mainSys += Number(fields[12] ?? 0) * 10_000_000;
    } else {
      t.otherNs += ns;
      t.otherReads += reads;
    }
  }
  return t;
}

// SCALE_AB_DIALECT: whose updates and retrieves (default wooshpay).
const found = Object.values(dialects).find((d) => d.name === (process.env.SCALE_AB_DIALECT ?? 'wooshpay'));
if (!found) throw new Error(`SCALE_AB_DIALECT: no dialect ${process.env.SCALE_AB_DIALECT}`);
const dialect: AnyDialect = found;

async function gateway(file: string, seed: number) {
  const kept = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as {
    credentials: Record<string, IssuedCredentials>;
    count: number;
    jwtSecret?: string;
  };
  const env = { ...process.env, NODE_ENV: 'production', CUSTGATE_JWT_SECRET: kept.jwtSecret, DATABASE_URL: `file:${file}` };
  const { app, store } = await inProcessGateway(env);
  const credentials = kept.credentials[dialect.name]!;
  return {
    name: `${kept.count.toLocaleString('en-US')}${seed === 11 ? '' : ` (seed ${seed})`}`,
    store,
    update: updateWorkload(dialect, credentials, kept.count, seed),
    retrieve: retrieveWorkload(dialect, credentials, kept.count, 12),
    app,
  };
}

const windows: { size: string; kind: string; from: number; to: number; requests: number }[] = [];
type Gateway = Awaited<ReturnType<typeof gateway>>;
// SCALE_AB_SEEDS=a,b: the two update workloads' seeds (default 11 both; the same seed updates the same
// customers in the same order, run after run).
const [seedA = 11, seedB = 11] = (process.env.SCALE_AB_SEEDS ?? '11,11').split(',').map(Number);
const [small, large] = [await gateway(smallFile, seedA), await gateway(largeFile, seedB)];
const perBlock = Number(blockText);

async function block(g: Gateway, kind: 'update' | 'retrieve') {
  const work = g[kind];
  const send = async () => {
    const { path, body } = work.next!();
    const res = await g.app.request(path, { method: work.method, headers: work.headers, body: body ?? null });
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  statements.clear();
  const from = process.hrtime.bigint() / 1000n;
  const before = threads();
  const started = performance.now();
  for (let sent = 0; sent < perBlock; sent += 16) await Promise.all(Array.from({ length: Math.min(16, perBlock - sent) }, send));
  const ms = performance.now() - started;
  const after = threads();
  // For a --cpu-prof of this process: which samples fall in which block (V8's clock is hrtime's, in µs).
  windows.push({ size: g.name, kind, from: Number(from), to: Number(process.hrtime.bigint() / 1000n), requests: perBlock });
  const per = (n: number) => n / perBlock;
  const top = [...statements]
    .sort((a, b) => Number(b[1].ns - a[1].ns))
    .slice(0, 3)
    .map(([sql, s]) => `${(Number(s.ns) / 1000 / perBlock).toFixed(1)}µs×${(s.runs / perBlock).toFixed(2)} ${sql.slice(0, 60)}`);
  process.stderr.write(
    `${kind} ${g.name}: ${(per(ms) * 1000).toFixed(0)} µs wall, main ${(per(after.mainNs - before.mainNs) / 1000).toFixed(0)} µs (system ${(per(after.mainSys - before.mainSys) / 1000).toFixed(0)} µs, ${per(after.mainFaults - before.mainFaults).toFixed(1)} page faults) ${per(after.mainReads - before.mainReads).toFixed(2)} reads, other ${(per(after.otherNs - before.otherNs) / 1000).toFixed(0)} µs ${per(after.otherReads - before.otherReads).toFixed(2)} reads | ${top.join(' | ')}\n`,
  );
}

// SCALE_AB_ONLY=small|large measures one store (for a profile of it alone); SCALE_AB_KINDS=update.
const only = process.env.SCALE_AB_ONLY;
const kinds = (process.env.SCALE_AB_KINDS ?? 'update,retrieve').split(',') as ('update' | 'retrieve')[];
const order = (round: number) => (only ? [only === 'small' ? small : large] : round % 2 === 0 ? [small, large] : [large, small]);
// SCALE_AB_GO=<file>: after the warm-up, print `ready <pid>` and wait for <file> to exist, so that
// `callgrind_control -i on <pid>` (valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes)
// counts only the measured blocks, thread by thread.
const go = process.env.SCALE_AB_GO;
for (const kind of kinds) {
  // Warm-up: each store's hot pages, the JIT.
  for (const g of order(0)) await block(g, kind);
  if (go) {
    process.stderr.write(`ready ${process.pid}\n`);
    while (!existsSync(go)) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (let round = 0; round < Number(roundsText); round++) for (const g of order(round)) await block(g, kind);
}
if (process.env.SCALE_AB_WINDOWS) writeFileSync(process.env.SCALE_AB_WINDOWS, JSON.stringify(windows));
await small.store.executor.close();
await large.store.executor.close();
